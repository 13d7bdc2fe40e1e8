package jobs

import (
	"context"
	"time"
)

// Counts is how many of a queue's jobs are in each state.
type Counts struct {
	Queued, Running, Succeeded, Dead, Cancelled int
}

// Add counts n more jobs in state s.
func (c *Counts) Add(s State, n int) {
	switch s {
	case Queued:
		c.Queued += n
	case Running:
		c.Running += n
	case Succeeded:
		c.Succeeded += n
	case Dead:
		c.Dead += n
	case Cancelled:
		c.Cancelled += n
	}
}

// Store keeps jobs durably. Every method is safe for concurrent use, by
// several runners, on one node or (for a shared database) several. Times
// come from the caller, so that a runner's injected clock rules the
// schedule.
type Store interface {
	// Enqueue stores a new job, queued. With an IdempotencyKey already used
	// in the queue it returns that job and created false, or ErrConflict if
	// the payloads differ. Past the queue's MaxQueued it fails with
	// ErrQueueFull.
	Enqueue(ctx context.Context, n NewJob, now time.Time) (j Job, created bool, err error)
	// Claim takes up to limit jobs of queue that may run at now — queued
	// ones whose run time has come, and running ones whose lease expired —
	// highest priority first, and leases them until now+lease: each is
	// Running with Attempt one more than before.
	Claim(ctx context.Context, queue string, limit int, now time.Time, lease time.Duration) ([]Job, error)
	// Heartbeat extends a running job's lease to until, or fails with
	// ErrLeaseLost.
	Heartbeat(ctx context.Context, l Lease, until time.Time) error
	// Complete records the attempt's result: the job has succeeded.
	Complete(ctx context.Context, l Lease, result []byte, now time.Time) error
	// Fail records the attempt's error and queues the job again at next.
	Fail(ctx context.Context, l Lease, msg string, next, now time.Time) error
	// Kill records the attempt's error and makes the job dead.
	Kill(ctx context.Context, l Lease, msg string, now time.Time) error
	// Release gives a running attempt's lease back without counting it:
	// the job is queued again at now with its attempt number as before the
	// claim. A runner that stops gracefully releases its jobs.
	Release(ctx context.Context, l Lease, now time.Time) error
	// Cancel cancels a queued or running job (ErrState if it has
	// finished). A running job's runner learns it at its next heartbeat.
	Cancel(ctx context.Context, id int64, now time.Time) (Job, error)
	// Get returns a job, with its errors.
	Get(ctx context.Context, id int64) (Job, error)
	// Dead lists up to limit dead jobs, oldest first, from every queue if
	// queue is empty, each with its errors (as Get has them).
	Dead(ctx context.Context, queue string, limit int) ([]Job, error)
	// Counts returns how many jobs each queue holds in each state, for the
	// queues that hold any.
	Counts(ctx context.Context) (map[string]Counts, error)
	// Prune deletes, with their errors, up to limit finished jobs: those
	// that succeeded or were cancelled before done, and those that died
	// before dead (a zero time deletes none of that kind), oldest first. It
	// returns how many it deleted. An idempotency key goes with its job.
	Prune(ctx context.Context, done, dead time.Time, limit int) (int, error)
	// Replay queues a dead or cancelled job again at now, with its
	// attempts counted from zero (its past errors are kept).
	Replay(ctx context.Context, id int64, now time.Time) (Job, error)
	// Close releases the store's resources.
	Close() error
}
