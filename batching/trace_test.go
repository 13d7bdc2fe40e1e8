package batching_test

import (
	"context"
	"sync"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// TestBatchSpanLinksItsItems: each call of the batch function has a span
// "batch NAME" that links the span of every item in it, is the child of
// one of them, and is what the function's context carries.
func TestBatchSpanLinksItsItems(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	var mu sync.Mutex
	inBatch := map[trace.SpanID]bool{} // the spans the batch functions' contexts carried
	fn := func(ctx context.Context, items []batching.Item[int]) ([]batching.Result[int], error) {
		mu.Lock()
		inBatch[trace.SpanContextFromContext(ctx).SpanID()] = true
		mu.Unlock()
		out := make([]batching.Result[int], len(items))
		for i, it := range items {
			out[i].Value = it.Value * 2
		}
		return out, nil
	}
	sys := actors.NewSystem(zap.NewNop())
	defer sys.Shutdown()
	b, err := batching.New(batching.Config{Name: "doubler", MaxBatchSize: 8}, fn)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(sys); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Stop(context.Background()) }()

	const n = 16
	items := map[trace.SpanID]bool{}
	var wg sync.WaitGroup
	for i := range n {
		ctx, span := tp.Tracer("test").Start(context.Background(), "request")
		items[span.SpanContext().SpanID()] = true
		wg.Go(func() {
			defer span.End()
			if got, err := b.Submit(ctx, i); err != nil || got != 2*i {
				t.Errorf("Submit(%d) = %d, %v", i, got, err)
			}
		})
	}
	wg.Wait()

	linked := map[trace.SpanID]int{}
	batches := 0
	for _, s := range rec.Ended() {
		if s.Name() != "batch doubler" {
			continue
		}
		batches++
		if !inBatch[s.SpanContext().SpanID()] {
			t.Errorf("batch span %s is not in its function's context", s.SpanContext().SpanID())
		}
		if !items[s.Parent().SpanID()] {
			t.Errorf("batch span's parent %s is not an item's span", s.Parent().SpanID())
		}
		size := 0
		for _, kv := range s.Attributes() {
			if kv.Key == "troupe.batch.size" {
				size = int(kv.Value.AsInt64())
			}
		}
		if size != len(s.Links()) {
			t.Errorf("batch of %d items has %d links", size, len(s.Links()))
		}
		for _, l := range s.Links() {
			linked[l.SpanContext.SpanID()]++
		}
	}
	if batches == 0 {
		t.Fatal("no batch span")
	}
	for id := range items {
		if linked[id] != 1 {
			t.Errorf("item span %s is linked %d times, want once", id, linked[id])
		}
	}
}
