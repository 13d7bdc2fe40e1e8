package batchproxy

import (
	"errors"

	"github.com/troupe-go/troupe/upstream"
)

// Causes of the errors items fail with when the upstream fails them. Each
// comes wrapped in an *actors.Error that carries the status the client is
// answered with; match them with errors.Is. A call the upstream package
// refuses or that gets no answer fails with its errors, upstream.ErrOpen
// and upstream.ErrBulkheadFull (503 with Retry-After), upstream.ErrStopped
// (503), upstream.ErrUnreachable (502) and upstream.ErrTimeout (504).
var (
	// ErrUnreachable: the upstream could not be reached, or its answer was
	// cut short or too large (502). It is upstream.ErrUnreachable.
	ErrUnreachable = upstream.ErrUnreachable
	// ErrUpstreamStatus: the upstream answered the batch with an error
	// status (502; 503 for 429 and 503; 504 for 504).
	ErrUpstreamStatus = errors.New("batchproxy: upstream answered with an error status")
	// ErrUpstreamTimeout: the upstream did not answer in time (504). It is
	// upstream.ErrTimeout.
	ErrUpstreamTimeout = upstream.ErrTimeout
	// ErrMalformed: the upstream's answer is not what was expected (502).
	ErrMalformed = errors.New("batchproxy: malformed upstream answer")
	// ErrNoResult: the upstream's answer has no result for this item (502).
	ErrNoResult = errors.New("batchproxy: no result for the item")
)
