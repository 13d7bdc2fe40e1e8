package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/troupe-go/troupe/jobs"
)

// JobsBatchedPool is a plain worker pool that claims as the runner does:
// one goroutine claims as many jobs as there are free workers in one
// query and hands them to Concurrency workers over a channel; each worker
// calls the handler, completes the job and frees its slot. No lease
// renewal, context per attempt or pipeline. Where JobsPool pays a claim
// query per job, this pays one per batch, so the runner's cost over it is
// its machinery's, not a different use of the store.
type JobsBatchedPool struct {
	store       *CountingStore
	queue       string
	concurrency int
}

// NewJobsBatchedPool returns a batched pool of concurrency workers for
// queue on store.
func NewJobsBatchedPool(store *CountingStore, queue string, concurrency int) *JobsBatchedPool {
	return &JobsBatchedPool{store: store, queue: queue, concurrency: concurrency}
}

// Queue is the queue it consumes.
func (p *JobsBatchedPool) Queue() string { return p.queue }

// Drain enqueues the last job on the store, then claims and runs jobs
// until a claim finds none, and checks that done is closed.
func (p *JobsBatchedPool) Drain(ctx context.Context, done <-chan struct{}) error {
	if err := enqueueOne(ctx, p.store, p.queue); err != nil {
		return err
	}
	claimed := make(chan jobs.Job, p.concurrency)
	free := make(chan struct{}, p.concurrency) // a token per idle worker
	for range p.concurrency {
		free <- struct{}{}
	}
	errs := make([]error, p.concurrency+1)
	var wg sync.WaitGroup
	for w := range p.concurrency {
		wg.Go(func() {
			for j := range claimed {
				if err := p.run(ctx, &j); err != nil && errs[w] == nil {
					errs[w] = err
				}
				free <- struct{}{}
			}
		})
	}
	errs[p.concurrency] = p.claim(ctx, claimed, free)
	close(claimed)
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

// claim waits for a free worker, claims as many jobs as there are free
// workers, and hands them out, until a claim finds none.
func (p *JobsBatchedPool) claim(ctx context.Context, claimed chan<- jobs.Job, free chan struct{}) error {
	for {
		select {
		case <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
		n := 1
	more:
		for n < p.concurrency {
			select {
			case <-free:
				n++
			default:
				break more
			}
		}
		js, err := p.store.Claim(ctx, p.queue, n, time.Now(), JobsLease)
		if err != nil {
			return err
		}
		if len(js) == 0 {
			return nil
		}
		for range n - len(js) {
			free <- struct{}{}
		}
		for _, j := range js {
			claimed <- j
		}
	}
}

// run runs one job: the handler, then Complete.
func (p *JobsBatchedPool) run(ctx context.Context, j *jobs.Job) error {
	result, err := plainJob(ctx, j)
	if err != nil {
		return err
	}
	return p.store.Complete(ctx, j.Lease(), result, time.Now())
}

// Close does nothing: the workers end with each round.
func (p *JobsBatchedPool) Close(context.Context) error { return nil }
