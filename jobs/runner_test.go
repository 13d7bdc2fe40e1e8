package jobs_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/troupe-go/troupe/internal/fakeclock"
	"github.com/troupe-go/troupe/jobs"
	"github.com/troupe-go/troupe/jobs/sqlitestore"
)

// harness is a runner over a SQLite store on a fake clock, made inside a
// synctest bubble: the test advances the clock and waits for the runner's
// goroutines to settle.
type harness struct {
	t     *testing.T
	clock *fakeclock.Clock
	store *sqlitestore.Store
	r     *jobs.Runner
	start time.Time

	mu     sync.Mutex
	alerts []jobs.Job
}

func newHarness(t *testing.T, queues ...jobs.Queue) *harness {
	t.Helper()
	return newHarnessWith(t, nil, queues...)
}

// newHarnessWith is newHarness with more runner options.
func newHarnessWith(t *testing.T, opts []jobs.Option, queues ...jobs.Queue) *harness {
	t.Helper()
	h := &harness{t: t, clock: fakeclock.New()}
	h.start = h.clock.Now()
	s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "jobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	h.store = s
	h.r, err = jobs.New(s, queues, append([]jobs.Option{jobs.WithClock(h.clock), jobs.WithRandom(func() float64 { return 0.5 }),
		jobs.WithAlert(func(j jobs.Job) {
			h.mu.Lock()
			h.alerts = append(h.alerts, j)
			h.mu.Unlock()
		})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.r.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A test that stopped the runner already sees its result again.
		if err := h.r.Stop(context.Background()); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Stop: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return h
}

func (h *harness) enqueue(queue, payload string, o jobs.EnqueueOptions) jobs.Job {
	h.t.Helper()
	j, _, err := h.r.Enqueue(context.Background(), queue, []byte(payload), o)
	if err != nil {
		h.t.Fatalf("Enqueue: %v", err)
	}
	synctest.Wait()
	return j
}

// advance moves the clock by d in steps of step, letting the runner settle
// after each.
func (h *harness) advance(d, step time.Duration) {
	for range d / step {
		h.clock.Advance(step)
		synctest.Wait()
	}
}

func (h *harness) get(id int64) jobs.Job {
	h.t.Helper()
	j, err := h.store.Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return j
}

// TestRetrySchedule: a job that always fails is tried at 0, 1 s and 3 s
// (back-off 1 s doubling, no jitter), then is dead, with one alert.
func TestRetrySchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var at []time.Duration
		var h *harness
		h = newHarness(t, jobs.Queue{Name: "q", MaxAttempts: 3, Poll: 100 * time.Millisecond,
			Backoff: jobs.Backoff{Base: time.Second, Jitter: -1},
			Handler: func(ctx context.Context, j *jobs.Job) ([]byte, error) {
				mu.Lock()
				at = append(at, h.clock.Now().Sub(h.start))
				mu.Unlock()
				return nil, errors.New("down")
			}})
		j := h.enqueue("q", "x", jobs.EnqueueOptions{})
		h.advance(10*time.Second, 100*time.Millisecond)

		want := []time.Duration{0, time.Second, 3 * time.Second}
		if len(at) != len(want) {
			t.Fatalf("attempts at %v, want %v", at, want)
		}
		for i := range want {
			if at[i] != want[i] {
				t.Errorf("attempt %d at %v, want %v", i+1, at[i], want[i])
			}
		}
		got := h.get(j.ID)
		if got.State != jobs.Dead || len(got.Errors) != 3 || got.Errors[2].Error != "down" {
			t.Errorf("job = %v with errors %+v, want dead with 3", got.State, got.Errors)
		}
		if len(h.alerts) != 1 || h.alerts[0].ID != j.ID {
			t.Fatalf("alerts = %d, want 1 for job %d", len(h.alerts), j.ID)
		}
		// A replay runs it again from its first attempt.
		if _, err := h.r.Replay(context.Background(), j.ID); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if len(at) != 4 || at[3] != 10*time.Second {
			t.Errorf("after the replay, attempts at %v, want a fourth at 10s", at)
		}
		if got := h.get(j.ID); got.State != jobs.Queued || got.Attempt != 1 {
			t.Errorf("replayed job = %v attempt %d, want queued for its second attempt", got.State, got.Attempt)
		}
	})
}

// TestPanicFailsAttempt: a handler that panics fails that attempt only; the
// retry succeeds.
func TestPanicFailsAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jobs.Queue{Name: "q", Backoff: jobs.Backoff{Base: time.Second, Jitter: -1}, Poll: time.Second,
			Handler: func(ctx context.Context, j *jobs.Job) ([]byte, error) {
				if j.Attempt == 1 {
					panic("first time")
				}
				return []byte("ok"), nil
			}})
		j := h.enqueue("q", "x", jobs.EnqueueOptions{})
		h.advance(2*time.Second, time.Second)
		got := h.get(j.ID)
		if got.State != jobs.Succeeded || string(got.Result) != "ok" || len(got.Errors) != 1 ||
			!strings.HasPrefix(got.Errors[0].Error, "panic: first time") || strings.Contains(got.Errors[0].Error, "goroutine") {
			t.Errorf("job = %v %q errors %+v; want succeeded on the retry after a panic, its error without the stack", got.State, got.Result, got.Errors)
		}
	})
}

// TestConcurrencyAndPriority: a queue of concurrency 2 runs two jobs at
// once, highest priority first.
func TestConcurrencyAndPriority(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var mu sync.Mutex
		var started []string
		h := newHarness(t, jobs.Queue{Name: "q", Concurrency: 2,
			Handler: func(ctx context.Context, j *jobs.Job) ([]byte, error) {
				mu.Lock()
				started = append(started, string(j.Payload))
				mu.Unlock()
				<-release
				return nil, nil
			}})
		// All due in 1 s, so that the loop sees them all at its first claim.
		for _, p := range []struct {
			name string
			prio int
		}{{"low", 0}, {"high", 9}, {"mid", 5}, {"low2", 0}} {
			if _, _, err := h.r.Enqueue(context.Background(), "q", []byte(p.name),
				jobs.EnqueueOptions{Priority: p.prio, RunAt: h.start.Add(time.Second)}); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		h.advance(time.Second, time.Second)
		mu.Lock()
		first := append([]string(nil), started...)
		mu.Unlock()
		if len(first) != 2 || !(first[0] == "high" && first[1] == "mid" || first[0] == "mid" && first[1] == "high") {
			t.Fatalf("running = %v, want high and mid only", first)
		}
		if u := h.r.Usage(); len(u) != 1 || u[0] != (jobs.QueueUsage{Name: "q", Concurrency: 2, Busy: 2}) {
			t.Errorf("Usage = %+v, want q with 2 of 2 busy", u)
		}
		release <- struct{}{}
		synctest.Wait()
		mu.Lock()
		n := len(started)
		third := started[n-1]
		mu.Unlock()
		if n != 3 || third != "low" {
			t.Errorf("after one finished, started %v; want low third", started)
		}
		close(release)
		synctest.Wait()
		if u := h.r.Usage(); u[0].Busy != 0 {
			t.Errorf("Usage = %+v once every job finished, want none busy", u)
		}
	})
}

// TestCancelRunning: cancelling a running job cancels its attempt's
// context at once, and it stays cancelled.
func TestCancelRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cause error
		h := newHarness(t, jobs.Queue{Name: "q",
			Handler: func(ctx context.Context, j *jobs.Job) ([]byte, error) {
				<-ctx.Done()
				cause = ctx.Err()
				return nil, ctx.Err()
			}})
		j := h.enqueue("q", "x", jobs.EnqueueOptions{})
		if got := h.get(j.ID); got.State != jobs.Running {
			t.Fatalf("job = %v, want running", got.State)
		}
		if _, err := h.r.Cancel(context.Background(), j.ID); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if !errors.Is(cause, context.Canceled) {
			t.Errorf("handler's context ended with %v, want Canceled", cause)
		}
		if got := h.get(j.ID); got.State != jobs.Cancelled || len(got.Errors) != 0 {
			t.Errorf("job = %v errors %v, want cancelled, no attempt error", got.State, got.Errors)
		}
	})
}

// TestAttemptTimeout: an attempt past its timeout has its context ended and
// counts as a failure.
func TestAttemptTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jobs.Queue{Name: "q", AttemptTimeout: 5 * time.Second, MaxAttempts: 1,
			Handler: func(ctx context.Context, j *jobs.Job) ([]byte, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}})
		j := h.enqueue("q", "x", jobs.EnqueueOptions{})
		time.Sleep(5 * time.Second) // the bubble's clock: the attempt's context timer
		synctest.Wait()
		got := h.get(j.ID)
		if got.State != jobs.Dead || len(got.Errors) != 1 || !strings.HasPrefix(got.Errors[0].Error, "attempt deadline passed") {
			t.Errorf("job = %v errors %+v, want dead after its one attempt timed out", got.State, got.Errors)
		}
	})
}

// TestJobDeadline: a job is dead once a retry would come past its deadline.
func TestJobDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var attempts int
		h := newHarness(t, jobs.Queue{Name: "q", JobTimeout: 2500 * time.Millisecond, Poll: 100 * time.Millisecond,
			Backoff: jobs.Backoff{Base: time.Second, Jitter: -1},
			Handler: func(ctx context.Context, j *jobs.Job) ([]byte, error) {
				attempts++
				return nil, errors.New("no")
			}})
		j := h.enqueue("q", "x", jobs.EnqueueOptions{})
		h.advance(5*time.Second, 100*time.Millisecond)
		// Attempts at 0 and 1 s; the third would be at 3 s, past 2.5 s.
		if got := h.get(j.ID); got.State != jobs.Dead || attempts != 2 {
			t.Errorf("job = %v after %d attempts, want dead after 2", got.State, attempts)
		}
		if len(h.alerts) != 1 {
			t.Errorf("alerts = %d, want 1", len(h.alerts))
		}
	})
}

// TestStopReleasesLeases: Stop cancels the attempts still running when its
// context ends and gives their leases back uncounted.
func TestStopReleasesLeases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jobs.Queue{Name: "q",
			Handler: func(ctx context.Context, j *jobs.Job) ([]byte, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}})
		j := h.enqueue("q", "x", jobs.EnqueueOptions{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := h.r.Stop(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Stop = %v, want Canceled (it had to cancel an attempt)", err)
		}
		if got := h.get(j.ID); got.State != jobs.Queued || got.Attempt != 0 || len(got.Errors) != 0 {
			t.Errorf("job = %v attempt %d errors %v, want queued, attempt 0, no error", got.State, got.Attempt, got.Errors)
		}
	})
}

// TestCrashedRunnerLeaseExpires: a job claimed by a runner that died is
// run by another once its lease expires, as its second attempt.
func TestCrashedRunnerLeaseExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var attempt int
		h := newHarness(t, jobs.Queue{Name: "q", Lease: 30 * time.Second, Poll: time.Second,
			Handler: func(ctx context.Context, j *jobs.Job) ([]byte, error) {
				attempt = j.Attempt
				return nil, nil
			}})
		// The dead runner: it claimed the job and vanished.
		j, _, err := h.store.Enqueue(context.Background(), jobs.NewJob{Queue: "q", RunAt: h.start.Add(time.Hour)}, h.start)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.store.Claim(context.Background(), "q", 1, h.start.Add(time.Hour), 30*time.Second); err != nil {
			t.Fatal(err)
		}
		h.advance(time.Hour, time.Hour)
		h.advance(29*time.Second, time.Second)
		if got := h.get(j.ID); got.State != jobs.Running || attempt != 0 {
			t.Fatalf("before the lease expired: job %v, ran %d", got.State, attempt)
		}
		h.advance(time.Second, time.Second)
		if got := h.get(j.ID); got.State != jobs.Succeeded || attempt != 2 {
			t.Errorf("after the lease expired: job %v, ran attempt %d; want succeeded on attempt 2", got.State, attempt)
		}
	})
}

// TestHeartbeatKeepsLease: a long attempt's lease is extended, so no other
// claim takes its job.
func TestHeartbeatKeepsLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		h := newHarness(t, jobs.Queue{Name: "q", Lease: 30 * time.Second, AttemptTimeout: time.Hour,
			Handler: func(ctx context.Context, j *jobs.Job) ([]byte, error) {
				<-release
				return nil, nil
			}})
		j := h.enqueue("q", "x", jobs.EnqueueOptions{})
		h.advance(5*time.Minute, 10*time.Second) // the heartbeat's period: lease/3
		if js, err := h.store.Claim(context.Background(), "q", 1, h.clock.Now(), time.Second); err != nil || len(js) != 0 {
			t.Fatalf("another claim took the job under a live heartbeat: %v %v", js, err)
		}
		if got := h.get(j.ID); got.LeaseUntil.Before(h.clock.Now()) {
			t.Errorf("lease until %v, before now %v", got.LeaseUntil, h.clock.Now())
		}
		close(release)
		synctest.Wait()
		if got := h.get(j.ID); got.State != jobs.Succeeded {
			t.Errorf("job = %v, want succeeded", got.State)
		}
	})
}

// TestRetentionPrunes: finished jobs leave the store once their retention
// has passed, at the runner's next pruning round — succeeded ones after
// Done, dead ones after Dead — and not before; a negative retention keeps
// them.
func TestRetentionPrunes(t *testing.T) {
	handler := func(ctx context.Context, j *jobs.Job) ([]byte, error) {
		if string(j.Payload) == "fail" {
			return nil, errors.New("down")
		}
		return []byte("ok"), nil
	}
	q := jobs.Queue{Name: "q", MaxAttempts: 1, Poll: time.Hour, Handler: handler}
	gone := func(h *harness, id int64) bool {
		_, err := h.store.Get(context.Background(), id)
		if err != nil && !errors.Is(err, jobs.ErrNotFound) {
			t.Fatal(err)
		}
		return errors.Is(err, jobs.ErrNotFound)
	}
	synctest.Test(t, func(t *testing.T) {
		h := newHarnessWith(t, []jobs.Option{jobs.WithRetention(jobs.Retention{Done: time.Hour, Dead: 2 * time.Hour, Every: 10 * time.Minute})}, q)
		done, dead := h.enqueue("q", "ok", jobs.EnqueueOptions{}), h.enqueue("q", "fail", jobs.EnqueueOptions{})
		if a, b := h.get(done.ID).State, h.get(dead.ID).State; a != jobs.Succeeded || b != jobs.Dead {
			t.Fatalf("jobs are %v and %v, want succeeded and dead", a, b)
		}
		h.advance(50*time.Minute, 10*time.Minute) // within Done: both kept
		if gone(h, done.ID) || gone(h, dead.ID) {
			t.Fatal("a job was pruned within its retention")
		}
		h.advance(20*time.Minute, 10*time.Minute) // past Done, at most one round later
		if !gone(h, done.ID) || gone(h, dead.ID) {
			t.Fatalf("at 70 min: succeeded job gone %v (want true), dead job gone %v (want false)", gone(h, done.ID), gone(h, dead.ID))
		}
		h.advance(time.Hour, 10*time.Minute) // past Dead
		if !gone(h, dead.ID) {
			t.Fatal("the dead job outlived its 2h retention")
		}
	})
	synctest.Test(t, func(t *testing.T) {
		h := newHarnessWith(t, []jobs.Option{jobs.WithRetention(jobs.Retention{Done: -1, Dead: -1})}, q)
		done := h.enqueue("q", "ok", jobs.EnqueueOptions{})
		h.advance(30*24*time.Hour, 24*time.Hour)
		if gone(h, done.ID) {
			t.Fatal("a job was pruned with retention off")
		}
	})
}
