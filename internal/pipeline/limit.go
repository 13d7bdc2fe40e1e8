package pipeline

import (
	"errors"
	"net/http"

	"github.com/troupe-go/troupe/overload"
)

// limit caps how many exchanges one stateless stage runs at once
// (Spec.Concurrency). It is an overload.Limiter held at that number: an
// exchange that finds every slot taken waits, on its own goroutine, in
// criticality order (critical first), for at most the limiter's queue
// allowance — 100 ms, cut to 5 ms once the queue has stood that long — and
// is then refused 503 with a Retry-After computed from the load, rather
// than served late; one whose deadline is nearer than the stage's service
// time is refused at once. Waiting never holds an actor or another
// request's goroutine.
type limit struct {
	l *overload.Limiter
}

func newLimit(n int) *limit {
	l, err := overload.New(overload.Config{MinLimit: n, MaxLimit: n, InitialLimit: n})
	if err != nil { // n > 0 is checked by Spec.Validate; the rest are defaults
		panic(err)
	}
	return &limit{l: l}
}

// acquire takes a slot for ex, waiting if need be, and keeps its permit in
// ex until release. It fails if the stage's queue refuses ex (503, or 504
// for a deadline it cannot meet), or the client goes away while it waits
// (errGone: nothing to answer).
func (l *limit) acquire(ex *Exchange, stage string) error {
	p, err := l.l.AcquireUntil(ex.parent, ex.class, ex.Deadline)
	if err == nil {
		ex.permit = p
		return nil
	}
	var rej *overload.Rejection
	if !errors.As(err, &rej) {
		return err
	}
	switch rej.Reason {
	case overload.ReasonCanceled:
		ex.abandon()
		return errGone
	case overload.ReasonDeadline:
		return &Error{Status: http.StatusGatewayTimeout, Detail: "the request's deadline could not be met while it waited for stage " + stage}
	}
	// No Err: a refusal is load shedding, counted on /metrics, not a
	// failure to log (at 10× overload that would be a line per request).
	return &Error{Status: http.StatusServiceUnavailable, Detail: "stage " + stage + " is at its concurrency limit (" + rej.Reason.String() + "): try again later",
		RetryAfter: rej.RetryAfter}
}

// release gives back the slot ex took with acquire. A stage that failed
// for load or time (503, 504) gives a congestion signal, not a service time.
func (l *limit) release(ex *Exchange, err error) {
	if err != nil {
		if st := ErrorStatus(err); st == http.StatusServiceUnavailable || st == http.StatusGatewayTimeout {
			ex.permit.Drop()
			return
		}
	}
	ex.permit.Release()
}

// running returns how many exchanges hold a slot.
func (l *limit) running() int { return l.l.Stats().InFlight }

// waiting returns how many exchanges wait for a slot.
func (l *limit) waiting() int { return l.l.Stats().QueuedTotal() }

// errGone is acquire's error when the client went away: nothing to answer.
var errGone = errors.New("the client went away")
