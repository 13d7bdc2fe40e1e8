package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Error is an error that carries the HTTP status it should be answered
// with. A stage or handler returns one to end an exchange with that status;
// the response body is a problem+json document (RFC 9457) built from it.
type Error struct {
	// Status is the HTTP status code, 400 to 599.
	Status int
	// Detail is shown to the client in the problem document. Keep secrets
	// and internals out of it; put them in Err.
	Detail string
	// RetryAfter, when positive, sets the Retry-After header (whole
	// seconds, rounded up).
	RetryAfter time.Duration
	// Err is the cause, for logs and errors.Is; never shown to the client.
	Err error
}

// NewError returns an *Error with the given status and client-facing detail.
func NewError(status int, detail string) *Error {
	return &Error{Status: status, Detail: detail}
}

// Errorf returns an *Error with the given status and a formatted detail.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Detail: fmt.Sprintf(format, args...)}
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.Status, http.StatusText(e.Status), e.Detail, e.Err)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), e.Detail)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// hasCause reports whether err says more than the problem document the
// client gets: it is not an *Error of our own making, or one that wraps a
// cause.
func hasCause(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return !ok || e.Err != nil
}

// ErrorStatus returns the HTTP status an error should be answered with: the
// Status of an *Error in its chain, 504 for an exceeded deadline, 503 for a
// cancelled context, else 500.
func ErrorStatus(err error) int {
	if e, ok := errors.AsType[*Error](err); ok && e.Status >= 400 && e.Status <= 599 {
		return e.Status
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
