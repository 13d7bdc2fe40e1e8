package batchproxy

import "errors"

// Causes of the errors items fail with when the upstream fails them. Each
// comes wrapped in an *actors.Error that carries the status the client is
// answered with; match them with errors.Is.
var (
	// ErrUnreachable: the upstream could not be reached (502).
	ErrUnreachable = errors.New("batchproxy: upstream unreachable")
	// ErrUpstreamStatus: the upstream answered the batch with an error
	// status (502; 503 for 429 and 503).
	ErrUpstreamStatus = errors.New("batchproxy: upstream answered with an error status")
	// ErrUpstreamTimeout: the upstream did not answer in time (504).
	ErrUpstreamTimeout = errors.New("batchproxy: upstream did not answer in time")
	// ErrMalformed: the upstream's answer is not what was expected (502).
	ErrMalformed = errors.New("batchproxy: malformed upstream answer")
	// ErrNoResult: the upstream's answer has no result for this item (502).
	ErrNoResult = errors.New("batchproxy: no result for the item")
)
