package upstream

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/troupe-go/troupe/internal/httpstatus"
)

// result is what came of one attempt, finer than an outcome: the metrics
// count attempts by result.
type result int

const (
	resultOK         result = iota // a response whose status is not a failure
	resultStatus                   // a response with a failure status (5xx by default)
	resultSlow                     // a response, slower than SlowCallDuration
	resultConnect                  // no response: refused, reset, broken
	resultTimeout                  // no response in time: the attempt's or the request's deadline
	resultTooLarge                 // a response body past MaxResponseBytes
	resultCanceled                 // the client went away first
	resultClientBody               // the client's streamed request body failed (too large, too slow, broken)
	numResults
)

var resultNames = [numResults]string{"ok", "failed_status", "slow", "connection_error", "timeout", "too_large", "canceled", "client_body"}

// String returns the result's metric label.
func (r result) String() string { return resultNames[r] }

// outcome is what an attempt counts as, for the breaker and for the
// target's health.
type outcome int

const (
	success outcome = iota
	failure
	neutral // neither: the client cancelled, or an ignored kind of error
)

// err returns the outcome as the breaker's done callback takes it.
func (o outcome) err() error {
	switch o {
	case failure:
		return errFailure
	case neutral:
		return errNeutral
	}
	return nil
}

// classifier turns an attempt's result into an outcome, and decides what
// is worth a retry, by the upstream's configuration.
type classifier struct {
	failStatus  httpstatus.Set
	retryStatus httpstatus.Set
	slow        time.Duration
	ignoreConn  bool
	ignoreTime  bool
}

// result classifies an attempt that got status (0 if none) or err, took
// elapsed, and ran under ctx, the request's context: when ctx was
// cancelled (not timed out), the client went away.
func (c *classifier) result(ctx context.Context, status int, err error, elapsed time.Duration) result {
	switch {
	case err == nil && c.failStatus.Has(status):
		return resultStatus
	case err == nil && c.slow > 0 && elapsed > c.slow:
		return resultSlow
	case err == nil:
		return resultOK
	case errors.Is(ctx.Err(), context.Canceled):
		return resultCanceled
	case errors.Is(err, errTooLarge):
		return resultTooLarge
	case timedOut(err):
		return resultTimeout
	}
	return resultConnect
}

// outcome returns what r counts as.
func (c *classifier) outcome(r result) outcome {
	switch r {
	case resultOK:
		return success
	case resultCanceled, resultClientBody:
		return neutral
	case resultConnect:
		if c.ignoreConn {
			return neutral
		}
	case resultTimeout:
		if c.ignoreTime {
			return neutral
		}
	}
	return failure
}

// retryable reports whether an attempt with result r (and status, for a
// response) is worth another try, methods and budgets aside: connection
// errors and timeouts are, and responses whose status is a retry status
// (whether or not the breaker counts it as a failure).
func (c *classifier) retryable(r result, status int) bool {
	switch r {
	case resultConnect, resultTimeout:
		return true
	case resultOK, resultStatus, resultSlow:
		return c.retryStatus.Has(status)
	}
	return false
}

// timedOut reports whether err is a timeout: a context deadline, or a
// network or transport timeout.
func timedOut(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// errTooLarge ends the read of a response body past MaxResponseBytes.
var errTooLarge = errors.New("upstream: response body too large")
