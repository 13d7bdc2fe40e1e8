package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/troupe-go/troupe/supervisor"
	"go.uber.org/zap"
)

// errStopping is the cause with which a stopping runner cancels the
// attempts still running when Stop's context ends: their leases are given
// back, not counted as failures.
var errStopping = errors.New("jobs: runner stopping")

// errCancelled is the cause with which Cancel ends a running attempt.
var errCancelled = errors.New("jobs: job cancelled")

// ErrUnknownQueue is returned by Enqueue for a queue the runner does not
// have.
var ErrUnknownQueue = errors.New("jobs: unknown queue")

// Runner claims the jobs of its queues from a store and runs them, each
// queue with its own concurrency, and deletes finished jobs past their
// Retention. It owns its goroutines: one loop per queue, one that prunes,
// and one per running attempt (with one for its heartbeat), all started by
// Start and waited for by Stop. Its methods are safe for
// concurrent use.
type Runner struct {
	store  Store
	queues map[string]*queue
	order  []*queue
	clock  supervisor.Clock
	log    *zap.Logger
	random func() float64
	alert  func(Job)
	// retention is how long finished jobs are kept; defaults filled in.
	retention Retention

	base    context.Context // parent of every attempt's context
	abort   context.CancelCauseFunc
	stop    chan struct{} // closed by Stop: the loops return
	loops   sync.WaitGroup
	workers sync.WaitGroup

	mu       sync.Mutex
	started  bool
	stopped  bool
	running  map[int64]context.CancelCauseFunc // the attempts running here, by job id
	stopOnce sync.Once
	stopErr  error
}

// New returns a runner for queues over store; it runs nothing until Start.
func New(store Store, queues []Queue, opts ...Option) (*Runner, error) {
	r := &Runner{store: store, queues: map[string]*queue{}, running: map[int64]context.CancelCauseFunc{},
		stop: make(chan struct{})}
	for _, o := range opts {
		o.apply(r)
	}
	defaults(r)
	var errs []error
	for _, q := range queues {
		if err := q.validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := r.queues[q.Name]; dup {
			errs = append(errs, fmt.Errorf("jobs: two queues are named %q", q.Name))
			continue
		}
		lq := newQueue(r, q.withDefaults())
		r.queues[q.Name] = lq
		r.order = append(r.order, lq)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// Store returns the runner's store.
func (r *Runner) Store() Store { return r.store }

// Start starts a loop for each queue. It fails if called twice.
func (r *Runner) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return errors.New("jobs: runner already started")
	}
	r.started = true
	r.base, r.abort = context.WithCancelCause(context.Background())
	for _, q := range r.order {
		r.loops.Go(q.loop)
	}
	r.loops.Go(r.pruneLoop)
	return nil
}

// Stop stops claiming jobs and waits for the attempts running until ctx
// ends; then it cancels those still running and gives their leases back, so
// that another runner may claim them at once, and waits for them to
// return (a handler that ignores its context holds Stop up until it
// returns). It returns ctx's error if it had to cancel attempts. It is safe
// to call twice, and before Start.
func (r *Runner) Stop(ctx context.Context) error {
	r.stopOnce.Do(func() {
		r.mu.Lock()
		r.stopped = true
		started := r.started
		r.mu.Unlock()
		close(r.stop)
		if !started {
			return
		}
		r.loops.Wait()
		done := make(chan struct{})
		go func() { // owned here: it ends when the workers have, and Stop waits for done
			r.workers.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			r.abort(errStopping)
			<-done
			r.stopErr = ctx.Err()
		}
		r.abort(errStopping)
	})
	return r.stopErr
}

// EnqueueOptions are the optional parts of an Enqueue.
type EnqueueOptions struct {
	// Priority orders the queue's jobs, higher first.
	Priority int
	// IdempotencyKey, if set, makes a second Enqueue with the same key
	// return the first job (see Store.Enqueue).
	IdempotencyKey string
	// RunAt delays the first attempt. Defaults to now.
	RunAt time.Time
}

// Enqueue stores a job for queue, with the queue's attempts, deadline,
// budget and payload limit, and wakes the queue's loop. created is false when an idempotency
// key gave an existing job.
func (r *Runner) Enqueue(ctx context.Context, queue string, payload []byte, o EnqueueOptions) (j Job, created bool, err error) {
	q, ok := r.queues[queue]
	if !ok {
		return Job{}, false, fmt.Errorf("%w %q", ErrUnknownQueue, queue)
	}
	if len(payload) > q.cfg.MaxPayload {
		return Job{}, false, fmt.Errorf("%w: %d bytes for queue %q, which takes at most %d", ErrPayloadTooLarge, len(payload), queue, q.cfg.MaxPayload)
	}
	now := r.clock.Now()
	n := NewJob{Queue: queue, Payload: payload, Priority: o.Priority, IdempotencyKey: o.IdempotencyKey,
		MaxAttempts: q.cfg.MaxAttempts, RunAt: o.RunAt, MaxQueued: q.cfg.MaxQueued}
	if q.cfg.JobTimeout > 0 {
		n.Deadline = now.Add(q.cfg.JobTimeout)
	}
	j, created, err = r.store.Enqueue(ctx, n, now)
	if err == nil && created {
		q.poke()
	}
	return j, created, err
}

// Cancel cancels a job: a queued one will not run, and a running one here
// has its context cancelled at once (one running on another node, at its
// next heartbeat).
func (r *Runner) Cancel(ctx context.Context, id int64) (Job, error) {
	j, err := r.store.Cancel(ctx, id, r.clock.Now())
	if err != nil {
		return j, err
	}
	r.mu.Lock()
	cancel := r.running[id]
	r.mu.Unlock()
	if cancel != nil {
		cancel(errCancelled)
	}
	return j, nil
}

// Replay queues a dead or cancelled job again, with its attempts counted
// from zero.
func (r *Runner) Replay(ctx context.Context, id int64) (Job, error) {
	j, err := r.store.Replay(ctx, id, r.clock.Now())
	if err == nil {
		if q, ok := r.queues[j.Queue]; ok {
			q.poke()
		}
	}
	return j, err
}

// Queues returns the names of the runner's queues, in the order given.
func (r *Runner) Queues() []string {
	out := make([]string, len(r.order))
	for i, q := range r.order {
		out[i] = q.cfg.Name
	}
	return out
}
