package pipeline

import (
	"errors"
	"net/http"
	"sync/atomic"
)

// limit caps how many exchanges one stateless stage runs at once
// (Spec.Concurrency). An exchange that finds every slot taken waits for
// one on its own goroutine, until its deadline passes or its client goes
// away: waiting never holds an actor or another
// request's goroutine.
type limit struct {
	slots  chan struct{} // a token per running exchange; its capacity is the limit
	queued atomic.Int64
}

func newLimit(n int) *limit { return &limit{slots: make(chan struct{}, n)} }

// acquire takes a slot for ex, waiting if need be. It fails if ex's
// deadline passes first (a 504 to answer with), or its client goes away
// (errGone: nothing to answer).
func (l *limit) acquire(ex *Exchange, stage string) error {
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	l.queued.Add(1)
	defer l.queued.Add(-1)
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ex.Context().Done():
		if ex.parent.Err() != nil {
			ex.abandon()
			return errGone
		}
		// The deadline's watch answers 504 too, at about this instant:
		// whichever settles the exchange first is the one answer.
		return Errorf(http.StatusGatewayTimeout, "the deadline passed while the request waited for stage %s", stage)
	}
}

// errGone is acquire's error when the client went away: nothing to answer.
var errGone = errors.New("the client went away")

// release gives back a slot taken by acquire.
func (l *limit) release() { <-l.slots }

// running returns how many exchanges hold a slot.
func (l *limit) running() int { return len(l.slots) }

// waiting returns how many exchanges wait for a slot.
func (l *limit) waiting() int { return int(l.queued.Load()) }
