package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/troupe-go/troupe/actors"
)

// Errors a call to an upstream ends with, besides the upstream's own
// responses. Do returns them wrapped in an *actors.Error that carries the
// status the client gets (so a handler can return them as they are); match
// them with errors.Is.
var (
	// ErrOpen: the circuit breaker refused the call, being open (Retry-After:
	// the time it stays open) or half-open with every probe taken. 503.
	ErrOpen = errors.New("upstream: circuit open")
	// ErrBulkheadFull: the upstream already has as many calls in progress
	// as its bulkhead allows. 503.
	ErrBulkheadFull = errors.New("upstream: bulkhead full")
	// ErrUnreachable: the last attempt failed without a response:
	// connection refused or reset, a broken or too large response. 502.
	ErrUnreachable = errors.New("upstream: unreachable")
	// ErrTimeout: the last attempt ran out of time — its own timeout or the
	// request's deadline — or too little time was left to start one. 504.
	// It wraps context.DeadlineExceeded.
	ErrTimeout = fmt.Errorf("upstream: timed out: %w", context.DeadlineExceeded)
	// ErrStopped: the upstream is not running (not started, or stopped).
	// 503.
	ErrStopped = errors.New("upstream: not running")
)

// failure builds the *actors.Error a client gets for a call that ended
// with sentinel: the status, a detail naming the upstream, and the cause.
func (u *Upstream) failure(sentinel error, cause error, retryAfter time.Duration) error {
	status, detail := http.StatusServiceUnavailable, ""
	switch sentinel {
	case ErrOpen:
		detail = fmt.Sprintf("upstream %s is unavailable: its circuit breaker is open", u.name)
	case ErrBulkheadFull:
		detail = fmt.Sprintf("upstream %s is busy: too many calls in progress", u.name)
	case ErrUnreachable:
		status, detail = http.StatusBadGateway, fmt.Sprintf("upstream %s could not be reached", u.name)
	case ErrTimeout:
		status, detail = http.StatusGatewayTimeout, fmt.Sprintf("upstream %s did not answer in time", u.name)
	case ErrStopped:
		detail = fmt.Sprintf("upstream %s is not running", u.name)
	}
	err := sentinel
	if cause != nil {
		err = fmt.Errorf("%w: %w", sentinel, cause)
	}
	return &actors.Error{Status: status, Detail: detail, RetryAfter: retryAfter, Err: err}
}
