package pgstore_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe/jobs"
)

// TestTwoNodes: two runners (two nodes) share one PostgreSQL queue; each
// job runs on exactly one of them at a time, and here, with no crash,
// exactly once.
func TestTwoNodes(t *testing.T) {
	store := open(t)
	defer store.Close()
	const total = 300
	var mu sync.Mutex
	running := map[int64]string{} // job → node running it now
	runs := map[int64]int{}
	var overlaps []string
	perNode := map[string]int{}
	handler := func(node string) jobs.Handler {
		return func(ctx context.Context, j *jobs.Job) ([]byte, error) {
			mu.Lock()
			if other, ok := running[j.ID]; ok {
				overlaps = append(overlaps, strconv.FormatInt(j.ID, 10)+" on "+other+" and "+node)
			}
			running[j.ID] = node
			runs[j.ID]++
			perNode[node]++
			mu.Unlock()
			time.Sleep(time.Millisecond) // work that takes a while, so that the nodes overlap in time
			mu.Lock()
			delete(running, j.ID)
			mu.Unlock()
			return nil, nil
		}
	}
	var runners []*jobs.Runner
	for _, node := range []string{"a", "b"} {
		r, err := jobs.New(store, []jobs.Queue{{Name: "q", Concurrency: 8, Poll: 5 * time.Millisecond, Handler: handler(node)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
		runners = append(runners, r)
	}
	for i := range total {
		if _, _, err := runners[i%2].Enqueue(t.Context(), "q", []byte(strconv.Itoa(i)), jobs.EnqueueOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(60 * time.Second) // 300 jobs of 1 ms on 16 slots take well under a second
	for {
		mu.Lock()
		n := len(runs)
		mu.Unlock()
		if n == total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs ran within 60 s", n, total)
		}
		time.Sleep(10 * time.Millisecond) // watching two runners from outside
	}
	for _, r := range runners {
		if err := r.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	}
	if len(overlaps) > 0 {
		t.Errorf("jobs ran on two nodes at once: %v", overlaps)
	}
	for id, n := range runs {
		if n != 1 {
			t.Errorf("job %d ran %d times", id, n)
		}
	}
	t.Logf("node a ran %d jobs, node b %d", perNode["a"], perNode["b"])
}

// TestNodeDiesLeaseExpires: a node claims a job and dies (it never
// completes nor heartbeats); another node runs it once the lease (1 s
// here) has expired, as its second attempt.
func TestNodeDiesLeaseExpires(t *testing.T) {
	store := open(t)
	defer store.Close()
	const lease = time.Second
	ctx := t.Context()
	j, _, err := store.Enqueue(ctx, jobs.NewJob{Queue: "q"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The lease runs from the time given to Claim, so that is when the
	// first node "died" as far as the store can tell.
	diedAt := time.Now()
	claimed, err := store.Claim(ctx, "q", 1, diedAt, lease) // the node that dies
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %v, %v", claimed, err)
	}
	done := make(chan int, 1) // the one attempt of the surviving node
	r, err := jobs.New(store, []jobs.Queue{{Name: "q", Lease: lease, Poll: 10 * time.Millisecond,
		Handler: func(ctx context.Context, j *jobs.Job) ([]byte, error) {
			done <- j.Attempt
			return nil, nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	defer r.Stop(context.Background())
	select {
	case attempt := <-done:
		took := time.Since(diedAt)
		// PostgreSQL keeps timestamps to the microsecond, so the stored
		// expiry may be up to half a microsecond before diedAt+lease.
		if attempt != 2 || took < lease-time.Microsecond {
			t.Errorf("the survivor ran attempt %d after %s; want attempt 2, not before the %s lease", attempt, took, lease)
		}
		t.Logf("job %d retried by the survivor %s after the first node died (lease %s)", j.ID, took.Round(time.Millisecond), lease)
	case <-time.After(30 * time.Second):
		t.Fatal("the survivor did not run the job within 30 s")
	}
}
