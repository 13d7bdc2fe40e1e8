package breaker

import (
	"errors"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/pipeline"
)

// outcome is what an exchange counts as for the breaker.
type outcome int

const (
	success outcome = iota
	failure         // a failure status
	slow            // slower than SlowCallDuration: a failure
	neutral         // neither: the client went away, the deadline passed, shed, refused inside
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"success", "failure", "slow", "neutral"}

// Outcomes as gobreaker's done callback takes them: nil is a success.
var (
	errFailure = errors.New("breaker: failed call")
	errNeutral = errors.New("breaker: neutral call")
)

// err returns the outcome as gobreaker's done callback takes it.
func (o outcome) err() error {
	switch o {
	case failure, slow:
		return errFailure
	case neutral:
		return errNeutral
	}
	return nil
}

// outcome judges an exchange the breaker let through, once the rest of
// the route is done with it, elapsed after the breaker admitted it. See
// the package documentation for the rule.
func (b *breaker) outcome(ex *actors.Exchange, elapsed time.Duration) outcome {
	switch {
	case ex.ClientGone() || ex.ClientContext().Err() != nil:
		return neutral
	case refused(ex) || pipeline.Shed(ex):
		return neutral
	case b.slow > 0 && elapsed > b.slow:
		return slow
	case ex.Expired() || !ex.Deadline.IsZero() && !time.Now().Before(ex.Deadline):
		return neutral
	case b.failures.Has(ex.Response.Status):
		return failure
	}
	return success
}

// refused reports whether a breaker stage refused ex.
func refused(ex *actors.Exchange) bool {
	r, _ := refusedKey.Get(ex)
	return r
}
