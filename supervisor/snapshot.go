package supervisor

import (
	"fmt"
	"strings"
	"time"
)

// failure is the last failure charged to a stage: what it failed with and
// when.
type failure struct {
	reason string
	at     time.Time
}

// maxReasonBytes bounds the reason kept for the live page: a panic's value
// may be large.
const maxReasonBytes = 512

// noteFailure keeps reason as the stage's last failure. It runs in the
// supervisor's strategy, after a failure: never on a request's path.
func (h *Health) noteFailure(reason any) {
	s := fmt.Sprint(reason)
	if len(s) > maxReasonBytes {
		s = strings.ToValidUTF8(s[:maxReasonBytes], "") + "…" // no rune cut in two
	}
	h.last.Store(&failure{reason: s, at: h.clock.Now()})
}

// LastFailure returns the reason of the last failure charged to the stage
// (a panic's value, as the restart's log line has it) and when it
// happened; ok is false if it never failed. A component's failures
// (Failed) carry no reason and are not kept.
func (h *Health) LastFailure() (reason string, at time.Time, ok bool) {
	f := h.last.Load()
	if f == nil {
		return "", time.Time{}, false
	}
	return f.reason, f.at, true
}

// Stopped reports whether Stop has been called on the tree.
func (t *Tree) Stopped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stopped
}
