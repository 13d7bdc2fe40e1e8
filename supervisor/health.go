package supervisor

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/troupe-go/troupe/internal/pipeline"
)

// Health tracks the failures of one stage, wherever it is hosted, and owns
// the stage's gate. It is safe for concurrent use.
type Health struct {
	policy Policy
	clock  Clock
	gate   *pipeline.Gate

	restarts atomic.Int64
	last     atomic.Pointer[failure] // the last failure charged, for the live page

	mu       sync.Mutex
	failures []time.Time // the failures within the window, oldest first; at most MaxRestarts+1
	downs    int         // consecutive times marked down
	reopened time.Time   // when the gate last reopened
	timer    Timer       // pending reopen, or nil
	stopped  bool
}

func newHealth(name string, p Policy, clock Clock) *Health {
	p = p.withDefaults()
	return &Health{
		policy: p,
		clock:  clock,
		gate:   pipeline.NewGate(name, clock.Now),
	}
}

// Name returns the stage's name.
func (h *Health) Name() string { return h.gate.Name() }

// Gate returns the stage's gate.
func (h *Health) Gate() *pipeline.Gate { return h.gate }

// Restarts returns how many times an actor of the stage was restarted.
func (h *Health) Restarts() int64 { return h.restarts.Load() }

// Down reports whether the stage is marked down.
func (h *Health) Down() bool { return h.gate.Down() }

// Critical reports whether the stage's policy marks it critical: while it
// is down, the server is not ready.
func (h *Health) Critical() bool { return h.policy.Critical }

// Failed records a failure of a component that recovers by itself (a
// batcher whose actor panicked and dropped its queue) as a restart of the
// stage: it is counted, and too many within the window mark it down, as
// for a stage. It reports the back-off, or 0.
func (h *Health) Failed() time.Duration { return h.failed() }

// failed records a failure. If it is one too many within the window, the
// gate closes and reopens after the back-off; failed returns that back-off,
// or 0.
func (h *Health) failed() time.Duration {
	h.restarts.Add(1)
	now := h.clock.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	// Only the failures within the window are kept, and never more than
	// MaxRestarts+1: memory follows the failures, not the policy (a
	// max_restarts of 10^8 costs nothing until a stage fails that often).
	i := 0
	for i < len(h.failures) && now.Sub(h.failures[i]) > h.policy.Window {
		i++
	}
	h.failures = append(h.failures[i:], now)
	if len(h.failures) <= h.policy.MaxRestarts {
		return 0
	}
	h.failures = h.failures[len(h.failures)-h.policy.MaxRestarts:] // the oldest is past; keep what the next check needs
	if h.gate.Down() || h.stopped {
		return 0
	}
	if !h.reopened.IsZero() && now.Sub(h.reopened) > h.policy.MaxBackoff {
		h.downs = 0
	}
	backoff := h.policy.Backoff << min(h.downs, 20)
	backoff = min(backoff, h.policy.MaxBackoff)
	h.downs++
	h.gate.Close(now.Add(backoff))
	h.timer = h.clock.AfterFunc(backoff, h.reopen)
	return backoff
}

// reopen opens the gate after a back-off and forgets the failures that
// closed it.
func (h *Health) reopen() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return
	}
	clear(h.failures)
	h.reopened = h.clock.Now()
	h.timer = nil
	h.gate.Open()
}

// stop cancels a pending reopen.
func (h *Health) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
}
