package upstream

import (
	"context"
	"errors"
	"time"

	"github.com/troupe-go/troupe/overload"
)

// BulkheadConfig bounds the calls in progress to one upstream, so that a
// slow upstream ties up at most that many of the server's resources
// (resilience4j's semaphore Bulkhead: maxConcurrentCalls, maxWaitDuration).
// A request holds its place for all its attempts. Past the limit, a
// request is refused at once (503 with Retry-After), or waits at most
// MaxWait for a place.
//
// By default the limit is adaptive (package overload): it starts at
// MaxConcurrent and comes down when the upstream's answers slow down past
// its unloaded figure — down to what the upstream serves at that figure —
// and back up as they speed up, so that a struggling upstream is sent
// what it can do rather than MaxConcurrent calls that queue inside it.
type BulkheadConfig struct {
	// MaxConcurrent is the most requests to the upstream in progress at
	// once: the limit's ceiling. Defaults to 100.
	MaxConcurrent int `yaml:"max_concurrent"`
	// MaxWait is how long a request may wait for a place. Zero (the
	// default): none waits, a request past the limit is refused at once.
	// Once waiters have stood in line that long, the wait is cut to 5 ms
	// (or MaxWait, if shorter) until the line clears.
	MaxWait time.Duration `yaml:"max_wait"`
	// MaxWaiting bounds the requests waiting at once; past it, refused at
	// once. Defaults to MaxConcurrent; only used with MaxWait.
	MaxWaiting int `yaml:"max_waiting"`
	// Adaptive, true unless set to false, lets the limit follow the
	// upstream's latency between min(4, MaxConcurrent) and MaxConcurrent;
	// false keeps it at MaxConcurrent.
	Adaptive *bool `yaml:"adaptive"`
}

func (b BulkheadConfig) withDefaults() BulkheadConfig {
	b.MaxConcurrent = orDefault(b.MaxConcurrent, 100)
	if b.MaxWait == 0 {
		b.MaxWaiting = 0
	} else {
		b.MaxWaiting = orDefault(b.MaxWaiting, b.MaxConcurrent)
	}
	return b
}

func (b BulkheadConfig) validate() error {
	if b.MaxConcurrent < 0 || b.MaxWait < 0 || b.MaxWaiting < 0 {
		return errors.New("bulkhead: max_concurrent, max_wait and max_waiting must not be negative")
	}
	return nil
}

// adaptive reports whether the limit follows the upstream's latency.
func (b BulkheadConfig) adaptive() bool { return b.Adaptive == nil || *b.Adaptive }

// bulkhead is the upstream's concurrency limit: an overload.Limiter. It is
// safe for concurrent use.
type bulkhead struct {
	l   *overload.Limiter
	cfg BulkheadConfig
}

// newBulkhead returns the bulkhead cfg (with its defaults in) describes.
func newBulkhead(cfg BulkheadConfig) *bulkhead {
	n := cfg.MaxConcurrent
	// CutBelowUse: the calls are this server's own, and a slower upstream
	// gets fewer of them at once however many requests want one.
	oc := overload.Config{MinLimit: min(4, n), MaxLimit: n, InitialLimit: n, NoQueue: cfg.MaxWait <= 0, CutBelowUse: true}
	if !cfg.adaptive() {
		oc.MinLimit = n
	}
	if cfg.MaxWait > 0 {
		oc.QueueInterval, oc.QueueTarget, oc.MaxQueue = cfg.MaxWait, min(overload.DefaultQueueTarget, cfg.MaxWait), cfg.MaxWaiting
	}
	l, err := overload.New(oc)
	if err != nil { // validate has checked what could make it fail
		panic(err)
	}
	return &bulkhead{l: l, cfg: cfg}
}

// acquire takes a place, or reports why it could not: an error wrapping
// overload.ErrOverload when the bulkhead is full (and waiting is not
// allowed or ran out), with when to try again; context.DeadlineExceeded
// when the request's deadline cannot be met; context.Canceled when the
// request ended while it waited.
func (b *bulkhead) acquire(ctx context.Context) (overload.Permit, time.Duration, error) {
	p, err := b.l.Acquire(ctx, overload.Default)
	if err != nil {
		return p, err.(*overload.Rejection).RetryAfter, err // Acquire's only error
	}
	return p, 0, nil
}

// inUse returns the places taken.
func (b *bulkhead) inUse() int { return b.l.Stats().InFlight }

// waiting returns the requests waiting for a place.
func (b *bulkhead) waiting() int { return b.l.Stats().QueuedTotal() }

// limit returns the bulkhead's current limit.
func (b *bulkhead) limit() int { return b.l.Stats().Limit }
