package overload

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Reason says why a request was refused.
type Reason uint8

const (
	// ReasonLimit: every slot was taken and the queue had no room for the
	// request's class (or, during a standing queue, the class is
	// Sheddable): refused at once, without waiting. A waiter whose place
	// in a full queue a higher class took is refused with it too.
	ReasonLimit Reason = iota
	// ReasonQueueDelay: the request waited in the queue longer than the
	// sojourn allowance (QueueInterval, or QueueTarget during a standing
	// queue).
	ReasonQueueDelay
	// ReasonDeadline: the time left before the context's deadline was
	// shorter than the estimated service time, so the request was refused
	// rather than started (at admission or while waiting).
	ReasonDeadline
	// ReasonCanceled: the context ended while the request waited.
	ReasonCanceled
)

// NumReasons is the number of reasons; Reason values 0 to NumReasons-1
// index the per-reason arrays of Stats.
const NumReasons = 4

var reasonNames = [NumReasons]string{
	ReasonLimit: "limit", ReasonQueueDelay: "queue_delay", ReasonDeadline: "deadline", ReasonCanceled: "canceled",
}

// String returns the reason's name as used in metrics labels: "limit",
// "queue_delay", "deadline" or "canceled".
func (r Reason) String() string {
	if int(r) < NumReasons {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// ErrOverload is what a Rejection for ReasonLimit or ReasonQueueDelay
// unwraps to, so errors.Is(err, ErrOverload) tells a refusal for load from
// one for the request's own context.
var ErrOverload = errors.New("overload: server busy")

// Rejection is the error Acquire returns when it refuses a request. It is
// always returned as a *Rejection.
type Rejection struct {
	// Reason says why the request was refused.
	Reason Reason
	// Class is the class the request asked for.
	Class Class
	// RetryAfter is when a client should try again: the ratio of the
	// recent demand to the recent throughput, in whole seconds, clamped to
	// [1s, Config.MaxRetryAfter]. A client population that spreads its
	// retries over that time offers about what the server serves.
	RetryAfter time.Duration
	// Waited is how long the request waited in the queue before it was
	// refused; zero for a refusal at admission.
	Waited time.Duration
}

// Error implements the error interface.
func (r *Rejection) Error() string {
	return fmt.Sprintf("overload: %s request refused (%s) after %v, retry after %v",
		r.Class, r.Reason, r.Waited, r.RetryAfter)
}

// Unwrap returns ErrOverload for a refusal for load, context.DeadlineExceeded
// for ReasonDeadline and context.Canceled for ReasonCanceled.
func (r *Rejection) Unwrap() error {
	switch r.Reason {
	case ReasonDeadline:
		return context.DeadlineExceeded
	case ReasonCanceled:
		return context.Canceled
	}
	return ErrOverload
}

// Status returns the HTTP status to answer a refused request with: 504
// Gateway Timeout for ReasonDeadline, else 503 Service Unavailable (with
// RetryAfter as its Retry-After header).
func (r *Rejection) Status() int {
	if r.Reason == ReasonDeadline {
		return http.StatusGatewayTimeout
	}
	return http.StatusServiceUnavailable
}
