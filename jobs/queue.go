package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Handler runs one attempt of a job: it returns the job's result, or an
// error to fail the attempt. ctx ends at the attempt's deadline, when the
// job is cancelled, when its lease is lost, or when the runner stops. A
// Handler must be safe for concurrent use; a panic fails the attempt.
type Handler func(ctx context.Context, j *Job) (result []byte, err error)

// Queue configures one queue of a Runner. Zero fields take their defaults.
type Queue struct {
	// Name names the queue. Required.
	Name string
	// Handler runs its jobs. Required.
	Handler Handler
	// Concurrency is how many of its jobs run at once on this runner.
	// Defaults to 4.
	Concurrency int
	// MaxAttempts is how many attempts a job gets before it is dead.
	// Defaults to DefaultMaxAttempts.
	MaxAttempts int
	// Backoff spaces the attempts.
	Backoff Backoff
	// AttemptTimeout bounds one attempt. Defaults to 1 min.
	AttemptTimeout time.Duration
	// JobTimeout, if set, is each job's deadline from its enqueueing: past
	// it the job is dead, however many attempts it has left.
	JobTimeout time.Duration
	// Lease is how long a claim holds a job without a heartbeat: a job
	// whose runner died is claimed again after at most this long. The
	// runner extends it every Lease/3 while the attempt runs. Defaults to
	// 30 s.
	Lease time.Duration
	// Poll is how often the runner looks for due jobs when nothing tells
	// it sooner (an Enqueue on this runner, a finished attempt). Defaults
	// to 1 s.
	Poll time.Duration
	// MaxQueued, if set, is the queue's budget: Enqueue fails with
	// ErrQueueFull when it already holds that many unfinished jobs.
	MaxQueued int
	// MaxPayload is the largest payload Enqueue takes, in bytes; a larger
	// one fails with ErrPayloadTooLarge. Defaults to DefaultMaxPayload.
	// Over HTTP, the enqueue route's body limit (413) comes first.
	MaxPayload int
}

// DefaultMaxPayload is Queue.MaxPayload's default: 1 MiB, the server's
// default body limit. A job's payload is a row of the store, read back
// for every attempt; large inputs belong in object storage, named by it.
const DefaultMaxPayload = 1 << 20

func (q Queue) withDefaults() Queue {
	if q.Concurrency == 0 {
		q.Concurrency = 4
	}
	if q.MaxAttempts == 0 {
		q.MaxAttempts = DefaultMaxAttempts
	}
	q.Backoff = q.Backoff.withDefaults()
	if q.AttemptTimeout == 0 {
		q.AttemptTimeout = time.Minute
	}
	if q.Lease == 0 {
		q.Lease = 30 * time.Second
	}
	if q.Poll == 0 {
		q.Poll = time.Second
	}
	if q.MaxPayload == 0 {
		q.MaxPayload = DefaultMaxPayload
	}
	return q
}

func (q Queue) validate() error {
	var errs []error
	if q.Name == "" {
		errs = append(errs, errors.New("no name"))
	}
	if q.Handler == nil {
		errs = append(errs, errors.New("no handler"))
	}
	if q.Concurrency < 0 || q.MaxAttempts < 0 || q.MaxQueued < 0 || q.MaxPayload < 0 {
		errs = append(errs, fmt.Errorf("concurrency (%d), max_attempts (%d), max_queued (%d) and max_payload_bytes (%d) must not be negative",
			q.Concurrency, q.MaxAttempts, q.MaxQueued, q.MaxPayload))
	}
	if q.AttemptTimeout < 0 || q.JobTimeout < 0 || q.Lease < 0 || q.Poll < 0 {
		errs = append(errs, errors.New("timeouts, lease and poll must not be negative"))
	}
	if err := q.Backoff.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("jobs: queue %q: %w", q.Name, err)
	}
	return nil
}
