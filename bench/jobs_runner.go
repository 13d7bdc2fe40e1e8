package bench

import (
	"context"

	"github.com/troupe-go/troupe/jobs"
)

// JobsRunner runs its queue with a jobs.Runner whose handler is the plain
// function: the runner's own machinery (the claiming loop, a goroutine,
// context and deadline per attempt, the lease's heartbeat) without a
// troupe pipeline. Between it and JobsPool is the runner's cost; between
// it and JobsTroupe, the pipeline's.
type JobsRunner struct {
	store *CountingStore
	r     *jobs.Runner
	queue string
}

// NewJobsRunner starts a runner with one queue on store, of the given
// concurrency.
func NewJobsRunner(store *CountingStore, queue string, concurrency int) (*JobsRunner, error) {
	r, err := jobs.New(store, []jobs.Queue{{Name: queue, Handler: plainJob, Concurrency: concurrency, Poll: jobsIdlePoll}})
	if err != nil {
		return nil, err
	}
	if err := r.Start(); err != nil {
		return nil, err
	}
	return &JobsRunner{store: store, r: r, queue: queue}, nil
}

// Queue is the queue it consumes.
func (p *JobsRunner) Queue() string { return p.queue }

// Drain enqueues the last job through the runner, which wakes it, and
// waits for done.
func (p *JobsRunner) Drain(ctx context.Context, done <-chan struct{}) error {
	if _, _, err := p.r.Enqueue(ctx, p.queue, []byte(JobPayload), jobs.EnqueueOptions{}); err != nil {
		return err
	}
	return awaitDone(ctx, p.store, p.queue, done)
}

// Close stops the runner.
func (p *JobsRunner) Close(ctx context.Context) error { return p.r.Stop(ctx) }
