package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/troupe-go/troupe/jobs"
)

// The jobs scenario runs the same trivial job four ways over one store:
// through a troupe app's queue (JobsTroupe: the runner, then an exchange
// along the queue's stages to its handler), through a jobs.Runner whose
// handler is the plain function (JobsRunner: the runner without the
// pipeline), and through two plain worker pools: JobsPool, goroutines
// each doing Claim of one job, the handler, Complete on the store, and
// JobsBatchedPool, which claims for all its free workers in one query as
// the runner does. Each consumes a queue of its own, so that all share
// one store.

// JobPayload is every job's payload.
const JobPayload = `{"to":"ada@example.com","template":"welcome"}`

// JobResult is what every job's handler answers, the job's result.
var JobResult = []byte("sent")

// JobsLease is the lease of every claim: the runner's default, so that no
// heartbeat falls inside a trivial attempt.
const JobsLease = 30 * time.Second

// jobsIdlePoll is the runners' poll interval: an hour, so that a runner
// waiting for its next round never puts a claim on the store during
// another consumer's round. They wake for the round's last enqueue and
// for each freed slot, as a busy runner does.
const jobsIdlePoll = time.Hour

// plainJob is the handler's work in the peers without a pipeline.
func plainJob(context.Context, *jobs.Job) ([]byte, error) { return JobResult, nil }

// JobConsumer runs the jobs of one queue of a CountingStore.
type JobConsumer interface {
	// Queue is the name of the queue it consumes.
	Queue() string
	// Drain enqueues the round's last job its own way (what wakes it)
	// and runs the queue's jobs until done is closed: the caller armed
	// it with CountingStore.Await for the round's n jobs, then enqueued
	// the other n-1 on the store.
	Drain(ctx context.Context, done <-chan struct{}) error
	// Close stops it and waits for its goroutines.
	Close(ctx context.Context) error
}

// CountingStore is a jobs.Store that counts completed attempts, so that a
// round knows when its last job is recorded whoever ran it. Every
// consumer goes through it, so its cost is the same for all.
type CountingStore struct {
	jobs.Store
	mu        sync.Mutex
	completed int64
	target    int64
	reached   chan struct{} // closed once completed reaches target; nil when nobody waits
}

// NewCountingStore wraps s.
func NewCountingStore(s jobs.Store) *CountingStore { return &CountingStore{Store: s} }

// Complete completes the attempt on the wrapped store and counts it.
func (s *CountingStore) Complete(ctx context.Context, l jobs.Lease, result []byte, now time.Time) error {
	if err := s.Store.Complete(ctx, l, result, now); err != nil {
		return err
	}
	s.mu.Lock()
	s.completed++
	if s.reached != nil && s.completed >= s.target {
		close(s.reached)
		s.reached = nil
	}
	s.mu.Unlock()
	return nil
}

// Completed returns how many attempts have completed through s.
func (s *CountingStore) Completed() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.completed
}

// Await returns a channel closed once n more attempts have completed
// than now. Arm it before the round's jobs exist, so that none completes
// uncounted. One waiter at a time: rounds run one after another.
func (s *CountingStore) Await(n int) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{})
	s.target = s.completed + int64(n)
	if n <= 0 {
		close(ch)
		return ch
	}
	s.reached = ch
	return ch
}

// EnqueueJobs enqueues n jobs of queue on s from workers goroutines, as
// the scenario does before each round.
func EnqueueJobs(ctx context.Context, s jobs.Store, queue string, n, workers int) error {
	if n <= 0 {
		return nil
	}
	workers = max(1, min(workers, n))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		count := n / workers
		if w < n%workers {
			count++
		}
		wg.Go(func() {
			for range count {
				if err := enqueueOne(ctx, s, queue); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func enqueueOne(ctx context.Context, s jobs.Store, queue string) error {
	_, _, err := s.Enqueue(ctx, jobs.NewJob{Queue: queue, Payload: []byte(JobPayload)}, time.Now())
	if err != nil {
		return fmt.Errorf("enqueue on %s: %w", queue, err)
	}
	return nil
}

// awaitDone waits for done or ctx.
func awaitDone(ctx context.Context, s *CountingStore, queue string, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: the round's jobs did not all complete (%d completed in all): %w", queue, s.Completed(), ctx.Err())
	}
}
