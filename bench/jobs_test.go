package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe/jobs"
	"go.uber.org/zap"
)

// TestJobConsumers: each consumer of the jobs scenario, given a round of
// jobs enqueued on a fresh store (all but the last, which it enqueues
// itself), runs every job exactly once, to success with JobResult, and
// stops; two rounds in a row, as the scenario runs them.
func TestJobConsumers(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		s, err := OpenSQLiteJobs(t.Context(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		testJobConsumers(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv("TROUPE_TEST_POSTGRES")
		if dsn == "" {
			if os.Getenv("CI") == "true" {
				t.Fatal("TROUPE_TEST_POSTGRES is not set: CI runs the PostgreSQL store's tests (see .ci/postgres.sh)")
			}
			t.Skip("TROUPE_TEST_POSTGRES is not set (see .ci/postgres.sh)")
		}
		s, drop, err := OpenPostgresJobs(t.Context(), dsn, fmt.Sprintf("bench_test_%d", os.Getpid()))
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := drop(context.Background()); err != nil {
				t.Error(err)
			}
		}()
		testJobConsumers(t, s)
	})
}

func testJobConsumers(t *testing.T, s jobs.Store) {
	const n, concurrency, rounds = 40, 4, 2
	store := NewCountingStore(s)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var lines lineCounter
	tr, err := NewJobsTroupe(store, "troupe", concurrency, zap.NewNop(), NewAccessLogger(&lines))
	if err != nil {
		t.Fatal(err)
	}
	rn, err := NewJobsRunner(store, "runner", concurrency)
	if err != nil {
		t.Fatal(err)
	}
	consumers := []JobConsumer{NewJobsPool(store, "plain", concurrency), NewJobsBatchedPool(store, "batched", concurrency), rn, tr}
	defer func() {
		for _, c := range consumers {
			if err := c.Close(context.Background()); err != nil {
				t.Errorf("closing %s: %v", c.Queue(), err)
			}
		}
	}()
	for range rounds {
		for _, c := range consumers {
			before := store.Completed()
			done := store.Await(n)
			if err := EnqueueJobs(ctx, store, c.Queue(), n-1, concurrency); err != nil {
				t.Fatal(err)
			}
			if err := c.Drain(ctx, done); err != nil {
				t.Fatalf("%s: %v", c.Queue(), err)
			}
			if got := store.Completed() - before; got != n {
				t.Errorf("%s: %d jobs completed, want %d", c.Queue(), got, n)
			}
			if left, err := store.Claim(ctx, c.Queue(), 1, time.Now(), JobsLease); err != nil || len(left) != 0 {
				t.Errorf("%s: after the round a claim found %d jobs (err %v), want none", c.Queue(), len(left), err)
			}
		}
	}
	if got, want := lines.count(), n*rounds; got != want {
		t.Errorf("the troupe consumer's access log has %d lines, want one per job, %d", got, want)
	}
	// A fresh store numbers its jobs from 1.
	total := int64(n * rounds * len(consumers))
	for id := int64(1); id <= total; id++ {
		j, err := store.Get(ctx, id)
		if err != nil {
			t.Fatalf("job %d: %v", id, err)
		}
		if j.State != jobs.Succeeded || j.Attempt != 1 || string(j.Result) != string(JobResult) {
			t.Errorf("job %d of %s: %s, attempt %d, result %q; want succeeded at its first attempt with %q",
				id, j.Queue, j.State, j.Attempt, j.Result, JobResult)
		}
	}
}

// lineCounter is an io.Writer that counts the newlines written to it.
type lineCounter struct {
	mu sync.Mutex
	n  int
}

func (c *lineCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.n += bytes.Count(p, []byte("\n"))
	c.mu.Unlock()
	return len(p), nil
}

func (c *lineCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
