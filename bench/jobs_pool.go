package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// JobsPool is the jobs scenario's baseline: a plain worker pool over the
// store. For each round it starts Concurrency goroutines, each of which
// claims one job, calls the handler and completes the job, until a claim
// finds the queue empty. No runner, lease renewal, context per attempt or
// pipeline.
type JobsPool struct {
	store       *CountingStore
	queue       string
	concurrency int
}

// NewJobsPool returns a pool of concurrency workers for queue on store.
func NewJobsPool(store *CountingStore, queue string, concurrency int) *JobsPool {
	return &JobsPool{store: store, queue: queue, concurrency: concurrency}
}

// Queue is the queue it consumes.
func (p *JobsPool) Queue() string { return p.queue }

// Drain enqueues the last job on the store, then runs the queue dry with
// its workers, and checks that done is closed.
func (p *JobsPool) Drain(ctx context.Context, done <-chan struct{}) error {
	if err := enqueueOne(ctx, p.store, p.queue); err != nil {
		return err
	}
	errs := make([]error, p.concurrency)
	var wg sync.WaitGroup
	for w := range p.concurrency {
		wg.Go(func() { errs[w] = p.work(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	default:
		return fmt.Errorf("%s: the queue ran dry before the round's jobs had all completed (%d completed in all)", p.queue, p.store.Completed())
	}
}

// work is one worker: claim, handle, complete, until the queue is empty.
func (p *JobsPool) work(ctx context.Context) error {
	for {
		js, err := p.store.Claim(ctx, p.queue, 1, time.Now(), JobsLease)
		if err != nil {
			return err
		}
		if len(js) == 0 {
			return nil
		}
		j := &js[0]
		result, err := plainJob(ctx, j)
		if err != nil {
			return err
		}
		if err := p.store.Complete(ctx, j.Lease(), result, time.Now()); err != nil {
			return err
		}
	}
}

// Close does nothing: the workers end with each round.
func (p *JobsPool) Close(context.Context) error { return nil }
