package batching

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/troupe-go/troupe/internal/tracing"
	"go.uber.org/zap"
)

// start runs bt's BatchFunc on a goroutine of its own, owned by the
// batcher (Stop waits for it). It runs on the actor.
func (b *Batcher[In, Out]) start(bt *batch[In, Out]) {
	ctx, cancel, release := batchContext(bt.entries)
	bt.cancel = cancel
	b.running[bt] = struct{}{}
	b.m.size.Observe(float64(len(bt.entries)))
	b.m.flushes[bt.reason].Inc()
	items := make([]Item[In], len(bt.entries))
	for i, e := range bt.entries {
		b.m.wait.Observe(bt.start.Sub(e.arrival).Seconds())
		items[i] = Item[In]{Value: e.value, Key: e.key, ctx: e.ctx}
	}
	b.batches.Go(func() {
		begin := b.cfg.Clock.Now()
		ctx, span := tracing.StartBatch(ctx, b.cfg.Name, bt.entries[0].key, items, Item[In].Context) // a batch has an entry at least
		bt.results, bt.failure, bt.failed = b.call(ctx, items)
		span.End(batchError(bt))
		bt.took = b.cfg.Clock.Now().Sub(begin)
		release()
		b.send(bt) // always gets through: Stop lets the actor exit only once every batch is back
	})
}

// call runs the BatchFunc and makes sure it yields one result per item:
// an error, a panic or a wrong count fails every item with one error.
func (b *Batcher[In, Out]) call(ctx context.Context, items []Item[In]) (results []Result[Out], why failReason, failed bool) {
	defer func() {
		if v := recover(); v != nil {
			stack := debug.Stack()
			b.log.Error("batch function panicked", zap.String("panic", fmt.Sprint(v)), zap.Int("items", len(items)), zap.ByteString("stack", stack))
			results, why, failed = fill[Out](len(items), failure(&PanicError{Value: v, Stack: stack})), failPanic, true
		}
	}()
	res, err := b.fn(ctx, items)
	switch {
	case err != nil:
		return fill[Out](len(items), err), failError, true
	case len(res) != len(items):
		b.log.Error("batch function returned the wrong number of results", zap.Int("items", len(items)), zap.Int("results", len(res)))
		return fill[Out](len(items), failure(fmt.Errorf("%w: %d for %d items", ErrResultCount, len(res), len(items)))), failResultCount, true
	}
	return res, 0, false
}

// fill returns n results that all fail with err.
func fill[Out any](n int, err error) []Result[Out] {
	rs := make([]Result[Out], n)
	for i := range rs {
		rs[i].Err = err
	}
	return rs
}

// batchContext returns the context of a batch of entries: it ends when
// every caller's context has ended (each has gone or passed its deadline),
// and carries the latest of their deadlines if they all have one. cancel
// ends it early; release, once the BatchFunc has returned, ends it and
// frees what watches the callers.
func batchContext[In, Out any](entries []*entry[In, Out]) (ctx context.Context, cancel, release context.CancelFunc) {
	ctx, cancel = context.WithCancel(context.Background())
	var latest time.Time
	allDeadlines := true // else some caller has no deadline, and neither has the batch
	mortal := true       // every caller can go away
	for _, e := range entries {
		if e.deadline.IsZero() {
			allDeadlines = false
		} else if e.deadline.After(latest) {
			latest = e.deadline
		}
		if e.ctx.Done() == nil {
			mortal = false
		}
	}
	stopDeadline := context.CancelFunc(func() {})
	if allDeadlines {
		ctx, stopDeadline = context.WithDeadline(ctx, latest)
	}
	var stops []func() bool
	if mortal {
		var left atomic.Int64
		left.Store(int64(len(entries)))
		stops = make([]func() bool, len(entries))
		for i, e := range entries {
			stops[i] = context.AfterFunc(e.ctx, func() {
				if left.Add(-1) == 0 {
					cancel()
				}
			})
		}
	}
	release = func() {
		for _, stop := range stops {
			stop()
		}
		stopDeadline()
		cancel()
	}
	return ctx, cancel, release
}

// batchError returns the error that failed the whole of bt, for its span:
// the one every item's result holds; nil if it did not fail.
func batchError[In, Out any](bt *batch[In, Out]) error {
	if !bt.failed || len(bt.results) == 0 {
		return nil
	}
	return bt.results[0].Err
}
