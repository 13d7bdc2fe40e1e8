package jobs

import "errors"

// Errors a Store returns; callers match them with errors.Is.
var (
	// ErrNotFound: no job has that id.
	ErrNotFound = errors.New("jobs: no such job")
	// ErrConflict: the idempotency key is taken by a job with another
	// payload. The HTTP API answers 422.
	ErrConflict = errors.New("jobs: idempotency key used with a different payload")
	// ErrLeaseLost: the lease named is not the job's current attempt, or
	// the job is no longer running (it was cancelled, or its lease expired
	// and another runner claimed it).
	ErrLeaseLost = errors.New("jobs: lease lost")
	// ErrQueueFull: the queue holds its budget of unfinished jobs.
	ErrQueueFull = errors.New("jobs: queue full")
	// ErrPayloadTooLarge: the payload is larger than the queue's
	// MaxPayload. The HTTP API answers 413.
	ErrPayloadTooLarge = errors.New("jobs: payload too large")
	// ErrState: the job is not in a state that allows the operation
	// (cancelling a finished job, replaying one that is not dead or
	// cancelled).
	ErrState = errors.New("jobs: job is not in a state that allows this")
)
