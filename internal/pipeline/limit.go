package pipeline

import "sync/atomic"

// limit caps how many exchanges one stateless stage runs at once
// (Spec.Concurrency). An exchange that finds every slot taken waits for
// one on its own goroutine, until it is settled (its deadline passed, or
// its client went away): waiting never holds an actor or another
// request's goroutine.
type limit struct {
	slots  chan struct{} // a token per running exchange; its capacity is the limit
	queued atomic.Int64
}

func newLimit(n int) *limit { return &limit{slots: make(chan struct{}, n)} }

// acquire takes a slot for ex, waiting if need be. It reports false if ex
// was settled first, or its client went away.
func (l *limit) acquire(ex *Exchange) bool {
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
	l.queued.Add(1)
	defer l.queued.Add(-1)
	select {
	case l.slots <- struct{}{}:
		return true
	case <-ex.done:
		return false
	case <-ex.parent.Done():
		ex.abandon()
		return false
	}
}

// release gives back a slot taken by acquire.
func (l *limit) release() { <-l.slots }

// running returns how many exchanges hold a slot.
func (l *limit) running() int { return len(l.slots) }

// waiting returns how many exchanges wait for a slot.
func (l *limit) waiting() int { return int(l.queued.Load()) }
