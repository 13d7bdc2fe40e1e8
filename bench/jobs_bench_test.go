package bench

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/troupe-go/troupe/jobs"
	"go.uber.org/zap"
)

// benchConcurrency is the consumers' concurrency in the benchmarks: a
// queue's default.
const benchConcurrency = 4

// BenchmarkJobs runs b.N jobs through each consumer of the jobs scenario
// over a store in memory, so that ns/op and allocs/op are the consumer's
// own cost per job, without a database: "direct" calls the handler
// alone; "pool" is the plain worker pool, "batched" the one that claims
// in batches as the runner does; "runner" adds jobs.Runner's
// machinery; "troupe" adds the pipeline (the exchange, access log,
// timeout, handler) to the runner. The jobs are enqueued before the timer
// starts.
func BenchmarkJobs(b *testing.B) {
	b.Run("direct", func(b *testing.B) {
		j := &jobs.Job{ID: 1, Queue: "q", Payload: []byte(JobPayload), Attempt: 1}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := plainJob(ctx, j); err != nil {
				b.Fatal(err)
			}
		}
	})
	consumers := []struct {
		name string
		make func(*CountingStore) (JobConsumer, error)
	}{
		{"pool", func(s *CountingStore) (JobConsumer, error) { return NewJobsPool(s, "pool", benchConcurrency), nil }},
		{"batched", func(s *CountingStore) (JobConsumer, error) {
			return NewJobsBatchedPool(s, "batched", benchConcurrency), nil
		}},
		{"runner", func(s *CountingStore) (JobConsumer, error) { return NewJobsRunner(s, "runner", benchConcurrency) }},
		{"troupe", func(s *CountingStore) (JobConsumer, error) {
			return NewJobsTroupe(s, "troupe", benchConcurrency, zap.NewNop(), NewAccessLogger(io.Discard))
		}},
	}
	for _, c := range consumers {
		b.Run(c.name, func(b *testing.B) {
			store := NewCountingStore(newMemStore())
			cons, err := c.make(store)
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				if err := cons.Close(context.Background()); err != nil {
					b.Error(err)
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			done := store.Await(b.N)
			if err := EnqueueJobs(ctx, store, cons.Queue(), b.N-1, 1); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			if err := cons.Drain(ctx, done); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
		})
	}
}
