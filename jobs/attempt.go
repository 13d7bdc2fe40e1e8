package jobs

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"
)

// attempt runs one claimed attempt of j and records its outcome.
func (q *queue) attempt(j Job) {
	r := q.r
	now := r.clock.Now()
	switch {
	case j.Attempt > j.MaxAttempts:
		q.kill(j, fmt.Sprintf("lease expired during its last attempt (%d of %d)", j.Attempt-1, j.MaxAttempts), now)
		return
	case !j.Deadline.IsZero() && !now.Before(j.Deadline):
		q.kill(j, "past its deadline ("+j.Deadline.Format(time.RFC3339Nano)+")", now)
		return
	}
	ctx, cancel := context.WithCancelCause(r.base)
	defer cancel(nil)
	r.mu.Lock()
	r.running[j.ID] = cancel
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.running, j.ID)
		r.mu.Unlock()
	}()

	// The attempt's budget is measured on the runner's clock and applied
	// to the context as a timeout, so that a fake clock in tests does not
	// make a real deadline out of its own epoch.
	budget := q.cfg.AttemptTimeout
	if !j.Deadline.IsZero() {
		budget = min(budget, j.Deadline.Sub(now))
	}
	actx, acancel := context.WithTimeout(ctx, budget)
	stopBeat := q.heartbeat(j, cancel)
	result, err := call(actx, q.r.log, q.cfg.Handler, &j)
	acancel()
	stopBeat()

	record := context.WithoutCancel(ctx)
	now = r.clock.Now()
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errStopping):
		if rerr := r.store.Release(record, j.Lease(), now); rerr != nil && !errors.Is(rerr, ErrLeaseLost) {
			r.log.Error("releasing a job", zap.Int64("job", j.ID), zap.Error(rerr))
		}
	case errors.Is(cause, errCancelled), errors.Is(cause, ErrLeaseLost):
		// The job is no longer ours to record: cancelled, or claimed again.
	case err == nil:
		q.record(r.store.Complete(record, j.Lease(), result, now), j)
	default:
		msg := err.Error()
		if errors.Is(actx.Err(), context.DeadlineExceeded) && !strings.HasPrefix(msg, deadlinePassed) {
			msg = deadlinePassed + msg
		}
		q.failed(j, clip(msg), now)
	}
}

// deadlinePassed begins the error of an attempt that ran out of time.
const deadlinePassed = "attempt deadline passed: "

// maxErrorBytes is the most of an attempt's error text a store keeps: an
// error may carry a whole response body, and the job's errors are stored
// once per attempt and served by GET /jobs/{id} and the dead-letter list.
const maxErrorBytes = 4 << 10

// clip cuts msg to maxErrorBytes, on a UTF-8 boundary, saying so.
func clip(msg string) string {
	if len(msg) <= maxErrorBytes {
		return msg
	}
	cut := maxErrorBytes
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + fmt.Sprintf("… (%d bytes cut)", len(msg)-cut)
}

// failed records a failed attempt: the job is retried after its back-off,
// or dead if that was its last attempt or the retry would come past its
// deadline.
func (q *queue) failed(j Job, msg string, now time.Time) {
	if j.Attempt >= j.MaxAttempts {
		q.kill(j, msg, now)
		return
	}
	next := now.Add(q.cfg.Backoff.Delay(j.Attempt, q.r.random()))
	if !j.Deadline.IsZero() && !next.Before(j.Deadline) {
		q.kill(j, msg+" (its next attempt would come past its deadline)", now)
		return
	}
	q.record(q.r.store.Fail(context.Background(), j.Lease(), msg, next, now), j)
}

// kill makes j dead and calls the alert once it is recorded.
func (q *queue) kill(j Job, msg string, now time.Time) {
	err := q.r.store.Kill(context.Background(), j.Lease(), msg, now)
	q.record(err, j)
	if err == nil && q.r.alert != nil {
		j.State = Dead
		j.UpdatedAt = now
		j.Errors = append(j.Errors, AttemptError{Attempt: j.Attempt, At: now, Error: msg})
		q.r.alert(j)
	}
}

// record logs a store's failure to record an outcome. A lost lease is not
// one: the job was cancelled or claimed again meanwhile.
func (q *queue) record(err error, j Job) {
	if err != nil && !errors.Is(err, ErrLeaseLost) {
		q.r.log.Error("recording a job's attempt", zap.Int64("job", j.ID), zap.Int("attempt", j.Attempt), zap.Error(err))
	}
}

// call runs h, turning a panic into an error.
func call(ctx context.Context, log *zap.Logger, h Handler, j *Job) (result []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			// The stack goes to the log, not into the job's errors,
			// which GET /jobs/{id} shows to any client.
			log.Error("job handler panicked", zap.Int64("job", j.ID), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return h(ctx, j)
}

// heartbeat extends j's lease every Lease/3 until the returned function is
// called (which waits for it); if the lease is lost, it cancels the attempt.
func (q *queue) heartbeat(j Job, cancel context.CancelCauseFunc) (stop func()) {
	r := q.r
	every := q.cfg.Lease / 3
	tick := make(chan struct{}, 1) // one pending tick at most; see queue.wake
	done := make(chan struct{})
	finished := make(chan struct{})
	r.workers.Go(func() {
		defer close(finished)
		for {
			t := r.clock.AfterFunc(every, func() {
				select {
				case tick <- struct{}{}:
				default:
				}
			})
			select {
			case <-done:
				t.Stop()
				return
			case <-tick:
			}
			err := r.store.Heartbeat(context.Background(), j.Lease(), r.clock.Now().Add(q.cfg.Lease))
			if errors.Is(err, ErrLeaseLost) {
				cancel(ErrLeaseLost)
				return
			}
			if err != nil {
				r.log.Warn("extending a job's lease", zap.Int64("job", j.ID), zap.Error(err))
			}
		}
	})
	return func() {
		close(done)
		<-finished
	}
}
