package batching

import (
	"encoding/json"
	"net/http"

	"github.com/troupe-go/troupe/actors"
)

// HandlerConfig configures Handler. Its zero value decodes the body as
// one JSON item, puts every request under one key, and answers 200 with
// the result as JSON.
type HandlerConfig[In, Out any] struct {
	// Key returns the batch key of a request: requests of different keys
	// never share a batch. Nil puts every request under the key "".
	Key func(ex *actors.Exchange) string
	// Decode reads the request's item. Nil decodes the body as JSON into
	// In, answering 400 if it is not.
	Decode func(ex *actors.Exchange) (In, error)
	// Encode answers with the item's result. Nil answers 200 with Out as
	// JSON. It runs on the request's own goroutine.
	Encode func(ex *actors.Exchange, out Out) error
}

// Handler returns the spec of a handler named name that answers each
// request through b: it decodes the request's item, submits it with the
// request's context (so a client that leaves, or a deadline that passes,
// takes the item out of the queue), and answers with its result. Errors
// answer as actors.ErrorStatus says: a full queue 503 (or 429) with
// Retry-After, a deadline 504, an *actors.Error from the BatchFunc its
// status, anything else 500.
//
// The handler is Stateless: it waits for its item's result on the
// request's own goroutine, which waits for the pipeline anyway, so a
// request waiting for its batch holds no actor, and decoding, encoding and
// the after-phases run for the request that owns them, never on the
// batcher's goroutine.
//
//	b, _ := batching.New(batching.Config{Name: "score", MaxInFlight: 4}, model.Score)
//	app.Add(b)
//	app.Handle("POST", "/score", batching.Handler("POST /score", b, batching.HandlerConfig[Features, Score]{}))
func Handler[In, Out any](name string, b *Batcher[In, Out], hc HandlerConfig[In, Out]) *actors.Spec {
	if hc.Decode == nil {
		hc.Decode = decodeJSON[In]
	}
	if hc.Encode == nil {
		hc.Encode = func(ex *actors.Exchange, out Out) error { return ex.JSON(http.StatusOK, out) }
	}
	return &actors.Spec{
		Name:     name,
		Kind:     actors.Stateless,
		Priority: actors.Terminating,
		Stage: actors.StageFunc(func(ex *actors.Exchange) error {
			in, err := hc.Decode(ex)
			if err != nil {
				return err
			}
			key := ""
			if hc.Key != nil {
				key = hc.Key(ex)
			}
			out, err := b.SubmitKey(ex.Context(), key, in)
			if err != nil {
				return err
			}
			return hc.Encode(ex, out)
		}),
	}
}

// decodeJSON decodes the request body as one JSON value of type In.
func decodeJSON[In any](ex *actors.Exchange) (In, error) {
	var in In
	if len(ex.Body) == 0 {
		return in, actors.NewError(http.StatusBadRequest, "the request needs a JSON body")
	}
	if err := json.Unmarshal(ex.Body, &in); err != nil {
		return in, actors.Errorf(http.StatusBadRequest, "the body is not a valid item: %s", describeJSONError(err))
	}
	return in, nil
}
