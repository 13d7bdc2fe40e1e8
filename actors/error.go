package actors

import (
	"time"

	"github.com/troupe-go/troupe/internal/pipeline"
)

// Error is an error that carries the HTTP status it is answered with, a
// client-facing Detail, an optional RetryAfter and the cause (Err, for logs
// only). The response body is a problem+json document (RFC 9457).
type Error = pipeline.Error

// NewError returns an *Error with the given status and client-facing detail.
func NewError(status int, detail string) *Error { return pipeline.NewError(status, detail) }

// Errorf returns an *Error with the given status and a formatted detail.
func Errorf(status int, format string, args ...any) *Error {
	return pipeline.Errorf(status, format, args...)
}

// ErrorStatus returns the HTTP status err is answered with: an *Error's
// own, 504 for a passed deadline, 503 for a cancelled context, else 500.
func ErrorStatus(err error) int { return pipeline.ErrorStatus(err) }

// ProblemContentType is the media type of troupe's error bodies (RFC 9457).
const ProblemContentType = pipeline.ProblemContentType

// Problem is the problem+json document troupe writes for an error.
type Problem = pipeline.Problem

// ProblemBody returns the problem+json document for status and detail, with
// instance (the request path) and the request id.
func ProblemBody(status int, detail, instance, requestID string) []byte {
	return pipeline.ProblemBody(status, detail, instance, requestID)
}

// RetryAfterSeconds formats d as a Retry-After value: whole seconds,
// rounded up, at least 1.
func RetryAfterSeconds(d time.Duration) string { return pipeline.RetryAfterSeconds(d) }
