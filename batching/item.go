package batching

import "context"

// BatchFunc runs one batch: one backend call for every item. It returns
// one Result per item, in the order of items (results[i] answers
// items[i]): per-item errors go in Result.Err. A non-nil error instead
// fails every item of the batch with it; so does a panic (with a
// *PanicError) or a number of results other than len(items) (with
// ErrResultCount). An error that is an *actors.Error sets the HTTP status
// its caller is answered with; any other answers 500.
//
// ctx ends when every caller in the batch has gone, and carries the latest
// of their deadlines; each item's own context is Item.Context. All items
// of a batch have the same key. A BatchFunc runs on a goroutine of the
// batcher's, up to Config.MaxInFlight at once, and must be safe for
// concurrent use then.
//
//	func(ctx context.Context, items []batching.Item[string]) ([]batching.Result[int], error) {
//		out := make([]batching.Result[int], len(items))
//		for i, it := range items {
//			out[i] = batching.Result[int]{Value: len(it.Value)}
//		}
//		return out, nil
//	}
type BatchFunc[In, Out any] func(ctx context.Context, items []Item[In]) ([]Result[Out], error)

// Item is one caller's item in a batch. Like http.Request, it carries its
// caller's context: a per-request message, the one place a context is kept
// in a struct.
type Item[In any] struct {
	// Value is the item the caller submitted.
	Value In
	// Key is the batch key it was submitted under ("" for Submit).
	Key string

	ctx context.Context
}

// Context returns the caller's context: done when the caller has gone or
// its deadline has passed.
func (it Item[In]) Context() context.Context { return it.ctx }

// NewItem returns an item with the given context, for calling a BatchFunc
// outside a batcher (tests, a per-request baseline).
func NewItem[In any](ctx context.Context, key string, v In) Item[In] {
	return Item[In]{Value: v, Key: key, ctx: ctx}
}

// Result is the answer to one item: its value, or the error its caller
// gets.
type Result[Out any] struct {
	// Value is the item's result; ignored when Err is set.
	Value Out
	// Err, if set, is what the item's caller gets instead: an
	// *actors.Error sets its HTTP status.
	Err error
}
