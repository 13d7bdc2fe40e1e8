// Package jobstest is the conformance suite every jobs.Store passes: each
// store's tests call Run with a function that opens an empty store.
package jobstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe/jobs"
)

// Open returns a new, empty store; the suite closes it.
type Open func(t *testing.T) jobs.Store

// t0 is the suite's "now": stores take times from their callers, so no test
// reads a clock.
var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

const lease = 30 * time.Second

// Run runs the conformance suite against the stores open makes, each test
// on a store of its own.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		run  func(t *testing.T, s jobs.Store)
	}{
		{"EnqueueGet", testEnqueueGet},
		{"Idempotency", testIdempotency},
		{"Budget", testBudget},
		{"ClaimOrder", testClaimOrder},
		{"LeaseExpiry", testLeaseExpiry},
		{"Heartbeat", testHeartbeat},
		{"Complete", testComplete},
		{"FailRetry", testFailRetry},
		{"DeadReplay", testDeadReplay},
		{"Cancel", testCancel},
		{"Release", testRelease},
		{"Counts", testCounts},
		{"Prune", testPrune},
		{"ConcurrentClaims", testConcurrentClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.run(t, s)
		})
	}
}

func enqueue(t *testing.T, s jobs.Store, n jobs.NewJob) jobs.Job {
	t.Helper()
	j, created, err := s.Enqueue(t.Context(), n, t0)
	if err != nil || !created {
		t.Fatalf("Enqueue(%+v) = %v, created %v", n, err, created)
	}
	return j
}

func claim(t *testing.T, s jobs.Store, queue string, limit int, now time.Time) []jobs.Job {
	t.Helper()
	js, err := s.Claim(t.Context(), queue, limit, now, lease)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	return js
}

func claimOne(t *testing.T, s jobs.Store, queue string, now time.Time) jobs.Job {
	t.Helper()
	js := claim(t, s, queue, 1, now)
	if len(js) != 1 {
		t.Fatalf("Claim(%q, at +%s) took %d jobs, want 1", queue, now.Sub(t0), len(js))
	}
	return js[0]
}

func get(t *testing.T, s jobs.Store, id int64) jobs.Job {
	t.Helper()
	j, err := s.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(%d): %v", id, err)
	}
	return j
}

func ids(js []jobs.Job) []int64 {
	out := make([]int64, len(js))
	for i, j := range js {
		out[i] = j.ID
	}
	return out
}

func testEnqueueGet(t *testing.T, s jobs.Store) {
	deadline := t0.Add(time.Hour)
	j := enqueue(t, s, jobs.NewJob{Queue: "mail", Payload: []byte(`{"to":"a"}`), Priority: 3, Deadline: deadline})
	got := get(t, s, j.ID)
	if got.Queue != "mail" || !bytes.Equal(got.Payload, []byte(`{"to":"a"}`)) || got.Priority != 3 ||
		got.State != jobs.Queued || got.Attempt != 0 || got.MaxAttempts != jobs.DefaultMaxAttempts ||
		!got.RunAt.Equal(t0) || !got.Deadline.Equal(deadline) || !got.CreatedAt.Equal(t0) ||
		got.PayloadHash != jobs.Hash([]byte(`{"to":"a"}`)) {
		t.Errorf("Get = %+v, not what was enqueued", got)
	}
	if _, err := s.Get(t.Context(), j.ID+1000); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
	}
}

func testIdempotency(t *testing.T, s jobs.Store) {
	ctx := t.Context()
	first := enqueue(t, s, jobs.NewJob{Queue: "q", Payload: []byte("a"), IdempotencyKey: "k"})
	again, created, err := s.Enqueue(ctx, jobs.NewJob{Queue: "q", Payload: []byte("a"), IdempotencyKey: "k"}, t0.Add(time.Second))
	if err != nil || created || again.ID != first.ID {
		t.Errorf("same key, same payload = job %d, created %v, %v; want job %d, not created", again.ID, created, err, first.ID)
	}
	if _, _, err := s.Enqueue(ctx, jobs.NewJob{Queue: "q", Payload: []byte("b"), IdempotencyKey: "k"}, t0); !errors.Is(err, jobs.ErrConflict) {
		t.Errorf("same key, other payload = %v, want ErrConflict", err)
	}
	other := enqueue(t, s, jobs.NewJob{Queue: "r", Payload: []byte("b"), IdempotencyKey: "k"})
	if other.ID == first.ID {
		t.Errorf("the same key in another queue gave the same job")
	}
	// The key holds whatever became of the job.
	c := claimOne(t, s, "q", t0)
	if err := s.Complete(ctx, c.Lease(), nil, t0); err != nil {
		t.Fatal(err)
	}
	if j, created, err := s.Enqueue(ctx, jobs.NewJob{Queue: "q", Payload: []byte("a"), IdempotencyKey: "k"}, t0); err != nil || created || j.ID != first.ID {
		t.Errorf("key of a finished job = job %d, created %v, %v; want job %d", j.ID, created, err, first.ID)
	}
}

func testBudget(t *testing.T, s jobs.Store) {
	n := jobs.NewJob{Queue: "q", MaxQueued: 2}
	a := enqueue(t, s, n)
	enqueue(t, s, n)
	if _, _, err := s.Enqueue(t.Context(), n, t0); !errors.Is(err, jobs.ErrQueueFull) {
		t.Fatalf("third job under a budget of 2 = %v, want ErrQueueFull", err)
	}
	enqueue(t, s, jobs.NewJob{Queue: "other", MaxQueued: 2}) // budgets are per queue
	c := claimOne(t, s, "q", t0)
	if c.ID != a.ID {
		t.Fatalf("claimed %d, want %d", c.ID, a.ID)
	}
	if _, _, err := s.Enqueue(t.Context(), n, t0); !errors.Is(err, jobs.ErrQueueFull) {
		t.Fatalf("a running job counts against the budget: got %v, want ErrQueueFull", err)
	}
	if err := s.Complete(t.Context(), c.Lease(), nil, t0); err != nil {
		t.Fatal(err)
	}
	enqueue(t, s, n) // a finished job frees its place
}

func testClaimOrder(t *testing.T, s jobs.Store) {
	low := enqueue(t, s, jobs.NewJob{Queue: "q", Priority: 0})
	high := enqueue(t, s, jobs.NewJob{Queue: "q", Priority: 5})
	low2 := enqueue(t, s, jobs.NewJob{Queue: "q", Priority: 0})
	later := enqueue(t, s, jobs.NewJob{Queue: "q", Priority: 9, RunAt: t0.Add(lease / 2)}) // due before the others' leases expire
	enqueue(t, s, jobs.NewJob{Queue: "other", Priority: 9})

	got := claim(t, s, "q", 2, t0)
	if want := []int64{high.ID, low.ID}; fmt.Sprint(ids(got)) != fmt.Sprint(want) {
		t.Errorf("Claim(2) = %v, want %v (priority, then age)", ids(got), want)
	}
	for _, j := range got {
		if j.State != jobs.Running || j.Attempt != 1 || !j.LeaseUntil.Equal(t0.Add(lease)) {
			t.Errorf("claimed job = state %v attempt %d lease %v; want running, 1, %v", j.State, j.Attempt, j.LeaseUntil, t0.Add(lease))
		}
	}
	if got := claim(t, s, "q", 10, t0); fmt.Sprint(ids(got)) != fmt.Sprint([]int64{low2.ID}) {
		t.Errorf("Claim(10) = %v, want only %d: the other is not due", ids(got), low2.ID)
	}
	if got := claim(t, s, "q", 10, t0.Add(lease/2)); fmt.Sprint(ids(got)) != fmt.Sprint([]int64{later.ID}) {
		t.Errorf("Claim at its run time = %v, want %d", ids(got), later.ID)
	}
}

func testLeaseExpiry(t *testing.T, s jobs.Store) {
	j := enqueue(t, s, jobs.NewJob{Queue: "q"})
	first := claimOne(t, s, "q", t0)
	if got := claim(t, s, "q", 1, t0.Add(lease-time.Nanosecond)); len(got) != 0 {
		t.Fatalf("a leased job was claimed again before its lease expired: %v", ids(got))
	}
	second := claimOne(t, s, "q", t0.Add(lease))
	if second.ID != j.ID || second.Attempt != 2 {
		t.Fatalf("reclaimed = job %d attempt %d, want job %d attempt 2", second.ID, second.Attempt, j.ID)
	}
	ctx := t.Context()
	if err := s.Complete(ctx, first.Lease(), []byte("stale"), t0); !errors.Is(err, jobs.ErrLeaseLost) {
		t.Errorf("Complete by the expired lease = %v, want ErrLeaseLost", err)
	}
	if err := s.Heartbeat(ctx, first.Lease(), t0.Add(time.Hour)); !errors.Is(err, jobs.ErrLeaseLost) {
		t.Errorf("Heartbeat by the expired lease = %v, want ErrLeaseLost", err)
	}
	if err := s.Complete(ctx, second.Lease(), []byte("ok"), t0.Add(lease)); err != nil {
		t.Errorf("Complete by the current lease = %v", err)
	}
	if got := get(t, s, j.ID); string(got.Result) != "ok" {
		t.Errorf("result = %q, want the current attempt's", got.Result)
	}
}

func testHeartbeat(t *testing.T, s jobs.Store) {
	enqueue(t, s, jobs.NewJob{Queue: "q"})
	j := claimOne(t, s, "q", t0)
	if err := s.Heartbeat(t.Context(), j.Lease(), t0.Add(2*lease)); err != nil {
		t.Fatal(err)
	}
	if got := claim(t, s, "q", 1, t0.Add(lease)); len(got) != 0 {
		t.Fatalf("a job whose lease was extended was claimed at its first expiry")
	}
	if got := claimOne(t, s, "q", t0.Add(2*lease)); got.Attempt != 2 {
		t.Fatalf("attempt = %d after the extended lease expired, want 2", got.Attempt)
	}
}

func testComplete(t *testing.T, s jobs.Store) {
	enqueue(t, s, jobs.NewJob{Queue: "q"})
	j := claimOne(t, s, "q", t0)
	if err := s.Complete(t.Context(), j.Lease(), []byte(`{"n":1}`), t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	got := get(t, s, j.ID)
	if got.State != jobs.Succeeded || string(got.Result) != `{"n":1}` || !got.UpdatedAt.Equal(t0.Add(time.Second)) {
		t.Errorf("after Complete: state %v result %q updated %v", got.State, got.Result, got.UpdatedAt)
	}
	if js := claim(t, s, "q", 1, t0.Add(time.Hour)); len(js) != 0 {
		t.Errorf("a succeeded job was claimed")
	}
	if err := s.Complete(t.Context(), j.Lease(), nil, t0); !errors.Is(err, jobs.ErrLeaseLost) {
		t.Errorf("second Complete = %v, want ErrLeaseLost", err)
	}
}

func testFailRetry(t *testing.T, s jobs.Store) {
	enqueue(t, s, jobs.NewJob{Queue: "q"})
	j := claimOne(t, s, "q", t0)
	next := t0.Add(10 * time.Second)
	if err := s.Fail(t.Context(), j.Lease(), "boom", next, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	got := get(t, s, j.ID)
	if got.State != jobs.Queued || !got.RunAt.Equal(next) || len(got.Errors) != 1 ||
		got.Errors[0] != (jobs.AttemptError{Attempt: 1, At: t0.Add(time.Second), Error: "boom"}) {
		t.Fatalf("after Fail: %+v", got)
	}
	if js := claim(t, s, "q", 1, next.Add(-time.Nanosecond)); len(js) != 0 {
		t.Fatalf("claimed before its next run time")
	}
	if c := claimOne(t, s, "q", next); c.Attempt != 2 {
		t.Fatalf("attempt = %d, want 2", c.Attempt)
	}
}

func testDeadReplay(t *testing.T, s jobs.Store) {
	ctx := t.Context()
	enqueue(t, s, jobs.NewJob{Queue: "a"})
	enqueue(t, s, jobs.NewJob{Queue: "b"})
	ja, jb := claimOne(t, s, "a", t0), claimOne(t, s, "b", t0)
	if err := s.Fail(ctx, ja.Lease(), "first", t0, t0); err != nil {
		t.Fatal(err)
	}
	ja = claimOne(t, s, "a", t0)
	if err := s.Kill(ctx, ja.Lease(), "gave up", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Kill(ctx, jb.Lease(), "gave up", t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	all, err := s.Dead(ctx, "", 10)
	if err != nil || fmt.Sprint(ids(all)) != fmt.Sprint([]int64{ja.ID, jb.ID}) {
		t.Fatalf("Dead(all) = %v, %v; want %v", ids(all), err, []int64{ja.ID, jb.ID})
	}
	// Each dead job comes with every failed attempt's error, oldest first.
	wantA := []jobs.AttemptError{{Attempt: 1, At: t0, Error: "first"}, {Attempt: 2, At: t0.Add(time.Second), Error: "gave up"}}
	wantB := []jobs.AttemptError{{Attempt: 1, At: t0.Add(2 * time.Second), Error: "gave up"}}
	if fmt.Sprint(all[0].Errors) != fmt.Sprint(wantA) || fmt.Sprint(all[1].Errors) != fmt.Sprint(wantB) {
		t.Errorf("Dead's errors = %v and %v, want %v and %v", all[0].Errors, all[1].Errors, wantA, wantB)
	}
	if !all[0].UpdatedAt.Equal(t0.Add(time.Second)) || all[0].Attempt != 2 {
		t.Errorf("dead job a: updated %v, attempt %d; want %v (its death), 2", all[0].UpdatedAt, all[0].Attempt, t0.Add(time.Second))
	}
	if onlyB, _ := s.Dead(ctx, "b", 10); fmt.Sprint(ids(onlyB)) != fmt.Sprint([]int64{jb.ID}) {
		t.Errorf("Dead(b) = %v, want [%d]", ids(onlyB), jb.ID)
	}
	if js := claim(t, s, "a", 1, t0.Add(time.Hour)); len(js) != 0 {
		t.Fatalf("a dead job was claimed")
	}
	r, err := s.Replay(ctx, ja.ID, t0.Add(time.Minute))
	if err != nil || r.State != jobs.Queued || r.Attempt != 0 || !r.RunAt.Equal(t0.Add(time.Minute)) || len(r.Errors) != 2 {
		t.Fatalf("Replay = %+v, %v; want queued, attempt 0, run now, its errors kept", r, err)
	}
	if c := claimOne(t, s, "a", t0.Add(time.Minute)); c.Attempt != 1 {
		t.Errorf("replayed job's attempt = %d, want 1", c.Attempt)
	}
	if _, err := s.Replay(ctx, ja.ID, t0); !errors.Is(err, jobs.ErrState) {
		t.Errorf("Replay(running) = %v, want ErrState", err)
	}
	if _, err := s.Replay(ctx, 1<<40, t0); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("Replay(unknown) = %v, want ErrNotFound", err)
	}
}

func testCancel(t *testing.T, s jobs.Store) {
	ctx := t.Context()
	queued := enqueue(t, s, jobs.NewJob{Queue: "q", Priority: -1})
	running := enqueue(t, s, jobs.NewJob{Queue: "q", Priority: 1})
	r := claimOne(t, s, "q", t0)
	if r.ID != running.ID {
		t.Fatalf("claimed %d, want %d", r.ID, running.ID)
	}
	if j, err := s.Cancel(ctx, queued.ID, t0); err != nil || j.State != jobs.Cancelled {
		t.Fatalf("Cancel(queued) = %v, %v", j.State, err)
	}
	if j, err := s.Cancel(ctx, running.ID, t0); err != nil || j.State != jobs.Cancelled {
		t.Fatalf("Cancel(running) = %v, %v", j.State, err)
	}
	if err := s.Heartbeat(ctx, r.Lease(), t0.Add(time.Minute)); !errors.Is(err, jobs.ErrLeaseLost) {
		t.Errorf("Heartbeat of a cancelled job = %v, want ErrLeaseLost", err)
	}
	if js := claim(t, s, "q", 10, t0.Add(time.Hour)); len(js) != 0 {
		t.Errorf("cancelled jobs were claimed: %v", ids(js))
	}
	if _, err := s.Cancel(ctx, queued.ID, t0); !errors.Is(err, jobs.ErrState) {
		t.Errorf("Cancel(cancelled) = %v, want ErrState", err)
	}
	if _, err := s.Cancel(ctx, 1<<40, t0); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("Cancel(unknown) = %v, want ErrNotFound", err)
	}
	if j, err := s.Replay(ctx, queued.ID, t0); err != nil || j.State != jobs.Queued {
		t.Errorf("Replay(cancelled) = %v, %v; want queued", j.State, err)
	}
}

func testRelease(t *testing.T, s jobs.Store) {
	enqueue(t, s, jobs.NewJob{Queue: "q"})
	j := claimOne(t, s, "q", t0)
	if err := s.Release(t.Context(), j.Lease(), t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, j.ID); got.State != jobs.Queued || got.Attempt != 0 {
		t.Fatalf("released job = %v attempt %d, want queued, attempt 0", got.State, got.Attempt)
	}
	if c := claimOne(t, s, "q", t0.Add(time.Second)); c.Attempt != 1 {
		t.Errorf("attempt after a release = %d, want 1: a release does not count", c.Attempt)
	}
}

// testCounts: a queue's jobs are counted by state, each queue apart; a
// queue with no jobs is absent.
func testCounts(t *testing.T, s jobs.Store) {
	ctx := t.Context()
	if c, err := s.Counts(ctx); err != nil || len(c) != 0 {
		t.Fatalf("Counts of an empty store = %v, %v; want none", c, err)
	}
	for range 5 {
		enqueue(t, s, jobs.NewJob{Queue: "q"})
	}
	enqueue(t, s, jobs.NewJob{Queue: "other"})
	js := claim(t, s, "q", 4, t0)
	if err := s.Complete(ctx, js[0].Lease(), nil, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Kill(ctx, js[1].Lease(), "dead", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Cancel(ctx, js[2].ID, t0); err != nil {
		t.Fatal(err)
	}
	got, err := s.Counts(ctx)
	want := map[string]jobs.Counts{
		"q":     {Queued: 1, Running: 1, Succeeded: 1, Dead: 1, Cancelled: 1},
		"other": {Queued: 1},
	}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Counts = %v, %v; want %v", got, err, want)
	}
}

// testPrune finishes jobs at three times and prunes: only finished jobs
// past their retention go, with their errors and idempotency keys, oldest
// first and at most limit a call; queued and running ones stay whatever
// their age.
func testPrune(t *testing.T, s jobs.Store) {
	ctx := t.Context()
	finish := func(at time.Time, how string) jobs.Job {
		j := enqueue(t, s, jobs.NewJob{Queue: "q", IdempotencyKey: how + at.String()})
		c := claimOne(t, s, "q", t0)
		if c.ID != j.ID {
			t.Fatalf("claimed job %d, want %d", c.ID, j.ID)
		}
		var err error
		switch how {
		case "done":
			err = s.Complete(ctx, c.Lease(), nil, at)
		case "dead":
			if err = s.Fail(ctx, c.Lease(), "first", t0, at); err == nil {
				c = claimOne(t, s, "q", t0)
				err = s.Kill(ctx, c.Lease(), "second", at)
			}
		case "cancelled":
			_, err = s.Cancel(ctx, c.ID, at)
		}
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	old, older := t0.Add(-48*time.Hour), t0.Add(-72*time.Hour)
	oldDone, olderDone := finish(old, "done"), finish(older, "done")
	oldCancelled := finish(old, "cancelled")
	oldDead, recentDead := finish(older, "dead"), finish(t0, "dead")
	recentDone := finish(t0, "done")
	queued := enqueue(t, s, jobs.NewJob{Queue: "q", RunAt: t0.Add(time.Hour)}) // not due: stays queued
	running := enqueue(t, s, jobs.NewJob{Queue: "other"})
	claimOne(t, s, "other", t0)

	if n, err := s.Prune(ctx, time.Time{}, time.Time{}, 100); err != nil || n != 0 {
		t.Fatalf("Prune with no retention = %d, %v; want 0", n, err)
	}
	// Done retention 24 h, dead 7 days: two calls of at most two jobs.
	done, dead := t0.Add(-24*time.Hour), t0.Add(-7*24*time.Hour)
	if n, err := s.Prune(ctx, done, dead, 2); err != nil || n != 2 {
		t.Fatalf("first Prune = %d, %v; want 2", n, err)
	}
	if _, err := s.Get(ctx, olderDone.ID); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("the oldest finished job survived the first prune: %v", err)
	}
	if n, err := s.Prune(ctx, done, dead, 2); err != nil || n != 1 {
		t.Fatalf("second Prune = %d, %v; want 1", n, err)
	}
	for _, j := range []jobs.Job{oldDone, olderDone, oldCancelled} {
		if _, err := s.Get(ctx, j.ID); !errors.Is(err, jobs.ErrNotFound) {
			t.Errorf("job %d past its retention: Get = %v, want ErrNotFound", j.ID, err)
		}
	}
	for _, j := range []jobs.Job{oldDead, recentDead, recentDone, queued, running} {
		get(t, s, j.ID)
	}
	// Now past the dead retention too: the dead job goes with its errors.
	if n, err := s.Prune(ctx, done, t0.Add(-time.Hour), 100); err != nil || n != 1 {
		t.Fatalf("Prune of the old dead job = %d, %v; want 1", n, err)
	}
	if dl, err := s.Dead(ctx, "", 10); err != nil || fmt.Sprint(ids(dl)) != fmt.Sprint([]int64{recentDead.ID}) {
		t.Errorf("dead jobs after pruning = %v, %v; want %d", ids(dl), err, recentDead.ID)
	}
	// A pruned job's key may be used again: a new job.
	again, created, err := s.Enqueue(ctx, jobs.NewJob{Queue: "q", IdempotencyKey: "done" + old.String()}, t0)
	if err != nil || !created || again.ID == oldDone.ID {
		t.Errorf("the key of a pruned job: %d created %v, %v; want a new job", again.ID, created, err)
	}
}

// testConcurrentClaims claims from several goroutines at once: each job is
// handed to exactly one claimer.
func testConcurrentClaims(t *testing.T, s jobs.Store) {
	const n, claimers = 200, 8
	for range n {
		enqueue(t, s, jobs.NewJob{Queue: "q"})
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range claimers {
		wg.Go(func() {
			for {
				js, err := s.Claim(context.Background(), "q", 7, t0, lease)
				if err != nil {
					t.Errorf("Claim: %v", err)
					return
				}
				if len(js) == 0 {
					return
				}
				mu.Lock()
				for _, j := range js {
					seen[j.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d distinct jobs claimed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("job %d claimed %d times", id, c)
		}
	}
}
