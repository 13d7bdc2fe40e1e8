package upstream

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// BulkheadConfig bounds the calls in progress to one upstream, so that a
// slow upstream ties up at most that many of the server's resources
// (resilience4j's semaphore Bulkhead: maxConcurrentCalls, maxWaitDuration).
// A request holds its place for all its attempts. Past the limit, a
// request is refused at once (503 with Retry-After), or waits at most
// MaxWait for a place.
type BulkheadConfig struct {
	// MaxConcurrent is the most requests to the upstream in progress at
	// once. Defaults to 100.
	MaxConcurrent int `yaml:"max_concurrent"`
	// MaxWait is how long a request may wait for a place. Zero (the
	// default): none waits, a request past the limit is refused at once.
	MaxWait time.Duration `yaml:"max_wait"`
	// MaxWaiting bounds the requests waiting at once; past it, refused at
	// once. Defaults to MaxConcurrent; only used with MaxWait.
	MaxWaiting int `yaml:"max_waiting"`
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

// bulkhead is a semaphore with a bounded, time-limited wait. It is safe for
// concurrent use.
type bulkhead struct {
	// slots holds a token per request in progress. Its capacity is
	// MaxConcurrent, which makes it the semaphore: full, a request waits
	// (if allowed) or is refused.
	slots   chan struct{}
	waiting atomic.Int64
	cfg     BulkheadConfig
}

func newBulkhead(cfg BulkheadConfig) *bulkhead {
	return &bulkhead{slots: make(chan struct{}, cfg.MaxConcurrent), cfg: cfg}
}

// acquire takes a place, or reports why it could not: ErrBulkheadFull
// when the bulkhead is full (and waiting is not allowed, or the wait ran
// out), or ctx's error when the request ended first.
func (b *bulkhead) acquire(ctx context.Context) error {
	select {
	case b.slots <- struct{}{}:
		return nil
	default:
	}
	if b.cfg.MaxWait <= 0 {
		return ErrBulkheadFull
	}
	if b.waiting.Add(1) > int64(b.cfg.MaxWaiting) {
		b.waiting.Add(-1)
		return ErrBulkheadFull
	}
	defer b.waiting.Add(-1)
	t := time.NewTimer(b.cfg.MaxWait)
	defer t.Stop()
	select {
	case b.slots <- struct{}{}:
		return nil
	case <-t.C:
		return ErrBulkheadFull
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release gives a place back.
func (b *bulkhead) release() { <-b.slots }

// inUse returns the places taken.
func (b *bulkhead) inUse() int { return len(b.slots) }
