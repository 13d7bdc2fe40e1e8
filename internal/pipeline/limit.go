package pipeline

import (
	"errors"

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
	rej, ok := errors.AsType[*overload.Rejection](err)
	if !ok {
		return err
	}
	if rej.Reason == overload.ReasonCanceled {
		ex.abandon()
		return errGone
	}
	ex.shed = true
	detail := "stage " + stage + " is at its concurrency limit (" + rej.Reason.String() + "): try again later"
	if rej.Reason == overload.ReasonDeadline {
		detail = "the request's deadline could not be met while it waited for stage " + stage
	}
	// No Err: a refusal is load shedding, counted on /metrics, not a
	// failure to log (at 10× overload that would be a line per request).
	return &Error{Status: rej.Status(), Detail: detail, RetryAfter: rej.RetryAfter}
}

// release gives back the slot ex took with acquire; its duration is a
// service time.
func (l *limit) release(ex *Exchange) { ex.permit.Release() }

// abort gives back the slot of a stage that panicked: its duration says
// nothing of the stage's service time.
func (l *limit) abort(ex *Exchange) { ex.permit.Ignore() }

// errGone is acquire's error when the client went away: nothing to answer.
var errGone = errors.New("the client went away")
