package batching

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/troupe-go/troupe/actors"
)

// Errors a Submit may fail with. Submit wraps the first five in an
// *actors.Error that carries their HTTP status (and Retry-After), so that
// a handler returning them answers correctly; match them with errors.Is.
var (
	// ErrQueueFull: Config.MaxQueue items are waiting already. The
	// status is Config.RejectStatus (503 by default), with Retry-After.
	ErrQueueFull = errors.New("batching: queue full")
	// ErrKeyQueueFull: Config.MaxQueuePerKey items of the same key are
	// waiting already. The status is Config.KeyRejectStatus (429 by
	// default), with Retry-After.
	ErrKeyQueueFull = errors.New("batching: queue of this key full")
	// ErrQueueDelay: the item would wait longer than Config.MaxQueueDelay
	// for its batch to go. The status is Config.RejectStatus (503 by
	// default), with a Retry-After of that wait (at least a second).
	ErrQueueDelay = errors.New("batching: the wait for a batch is too long")
	// ErrStopped: the batcher is stopping or has stopped (503 with
	// Retry-After).
	ErrStopped = errors.New("batching: batcher stopped")
	// ErrNotStarted: the batcher has not been started (503).
	ErrNotStarted = errors.New("batching: batcher not started")
	// ErrTooLate: the item's deadline would pass before its batch could
	// finish (Config.EstimatedDuration), so it was not sent (504).
	ErrTooLate = errors.New("batching: not enough time left for a batch")
	// ErrFailed: the batcher's actor failed (a bug: it panicked) and
	// dropped its queue; the items waiting in it are answered with it (503
	// with Retry-After). Batches already running are not affected.
	ErrFailed = errors.New("batching: the batcher failed and was restarted")
	// ErrResultCount: the BatchFunc returned a number of results other
	// than the number of items; every item of the batch fails with it
	// (500).
	ErrResultCount = errors.New("batching: batch function returned the wrong number of results")
)

// PanicError is the cause of the error every item of a batch gets when
// its BatchFunc panics (500).
type PanicError struct {
	// Value is what the BatchFunc panicked with.
	Value any
	// Stack is the stack of the batch's goroutine at the panic.
	Stack []byte
}

// Error implements the error interface.
func (e *PanicError) Error() string {
	return fmt.Sprintf("batching: batch function panicked: %v", e.Value)
}

// rejections are a batcher's errors that carry no per-item data, built
// once from its Config and shared by every caller (they are never
// changed).
type rejections struct {
	queueFull, keyQueueFull, stopped, notStarted, tooLate, failed error
	rejectStatus                                                  int
}

func newRejections(c Config) rejections {
	return rejections{
		rejectStatus: c.RejectStatus,
		queueFull:    &actors.Error{Status: c.RejectStatus, Detail: "too many requests are waiting for a batch; try again later", RetryAfter: c.RetryAfter, Err: ErrQueueFull},
		keyQueueFull: &actors.Error{Status: c.KeyRejectStatus, Detail: "too many requests of this kind are waiting for a batch; try again later", RetryAfter: c.RetryAfter, Err: ErrKeyQueueFull},
		stopped:      &actors.Error{Status: http.StatusServiceUnavailable, Detail: "the service is shutting down", RetryAfter: c.RetryAfter, Err: ErrStopped},
		notStarted:   &actors.Error{Status: http.StatusServiceUnavailable, Detail: "the service is not running", RetryAfter: c.RetryAfter, Err: ErrNotStarted},
		failed:       &actors.Error{Status: http.StatusServiceUnavailable, Detail: "the service failed and was restarted; try again", RetryAfter: c.RetryAfter, Err: ErrFailed},
		tooLate:      &actors.Error{Status: http.StatusGatewayTimeout, Detail: "not enough time was left to run the request", Err: ErrTooLate},
	}
}

// queueDelay returns the error of an item refused because it would wait
// about wait for its batch.
func (r rejections) queueDelay(wait time.Duration) error {
	return &actors.Error{Status: r.rejectStatus, Detail: "requests wait too long for a batch; try again later",
		RetryAfter: max(wait.Round(time.Second), time.Second), Err: ErrQueueDelay}
}

// failure is the error of every item of a batch that panicked or
// miscounted its results: cause stays out of the client's sight.
func failure(cause error) error {
	return &actors.Error{Status: http.StatusInternalServerError, Detail: "the batch this request was part of failed", Err: cause}
}
