package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"github.com/troupe-go/troupe/cluster/clusterpb"
)

// encodeResult returns r as it crosses the cluster: its value, or its
// error as the caller gets it (status, detail, Retry-After) and its text
// for the logs.
func encodeResult(r batching.Result[[]byte]) *clusterpb.BatchResult {
	if r.Err == nil {
		return &clusterpb.BatchResult{Payload: r.Value}
	}
	status := actors.ErrorStatus(r.Err)
	out := &clusterpb.BatchResult{Status: int32(status), Cause: r.Err.Error()}
	if e, ok := errors.AsType[*actors.Error](r.Err); ok && e.Status == status {
		out.Detail, out.RetryAfterNs = e.Detail, int64(e.RetryAfter)
	}
	return out
}

// decodeResult undoes encodeResult. An error becomes an *actors.Error of
// the same status, detail and Retry-After; a 504 also matches
// context.DeadlineExceeded, so that the caller's batcher treats it as a
// deadline.
func decodeResult(r *clusterpb.BatchResult) batching.Result[[]byte] {
	if r.Status == 0 {
		return batching.Result[[]byte]{Value: r.Payload}
	}
	status := int(r.Status)
	if status < 400 || status > 599 {
		status = http.StatusBadGateway
	}
	var cause error = remoteError(r.Cause)
	if status == http.StatusGatewayTimeout {
		cause = fmt.Errorf("%w (%s)", context.DeadlineExceeded, r.Cause)
	}
	return batching.Result[[]byte]{Err: &actors.Error{Status: status, Detail: r.Detail, RetryAfter: time.Duration(r.RetryAfterNs), Err: cause}}
}

// remoteError is the text of an error that another member's grain met.
type remoteError string

func (e remoteError) Error() string { return "in the batcher's grain: " + string(e) }
