package pipeline_test

import (
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/supervisor"
)

func TestPartitionedStageKeepsAKeyInOneActor(t *testing.T) {
	// Each instance counts, per key, the exchanges it has seen. If a key's
	// exchanges always reach the same instance, the count for a key grows
	// by exactly one each time.
	spec := &pipeline.Spec{
		Name: "per-key", Kind: pipeline.Stateful, Partitions: 4,
		PartitionKey: func(ex *pipeline.Exchange) string { return ex.Request.URL.Query().Get("key") },
		New: func() pipeline.Stage {
			seen := map[string]int{}
			return pipeline.StageFunc(func(ex *pipeline.Exchange) error {
				k := ex.Request.URL.Query().Get("key")
				seen[k]++
				ex.Response.Header().Set("X-Seen", strconv.Itoa(seen[k]))
				return nil
			})
		},
	}
	p := newPipeline(t, supervisor.Policy{}, nil, []*pipeline.Spec{spec}, []*pipeline.Spec{handler("h", pipeline.Stateless)})
	for round := 1; round <= 3; round++ {
		for _, key := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
			ex := p.run(t, "/x?key="+key, nil)
			if got := ex.Response.HeaderIfAny().Get("X-Seen"); got != strconv.Itoa(round) {
				t.Errorf("key %s round %d: X-Seen = %s, want %d", key, round, got, round)
			}
		}
	}
}

func TestConcurrencyCapsAStatelessStage(t *testing.T) {
	const limit, total = 3, 12
	var running, peak atomic.Int32
	release := make(chan struct{})
	entered := make(chan struct{}, total) // buffered: one slot per exchange, never blocks
	spec := &pipeline.Spec{Name: "slow", Kind: pipeline.Stateless, Concurrency: limit, Stage: pipeline.StageFunc(func(ex *pipeline.Exchange) error {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		entered <- struct{}{}
		<-release
		running.Add(-1)
		ex.Respond(http.StatusOK, "", nil)
		return nil
	})}
	p := newPipeline(t, supervisor.Policy{}, nil, []*pipeline.Spec{spec})
	calls := make([]*call, total)
	for i := range calls {
		calls[i] = p.start(t, "/x", nil)
	}
	for range limit { // the slots fill up...
		<-entered
	}
	if got := running.Load(); got != limit {
		t.Errorf("running = %d with the pool full, want %d", got, limit)
	}
	close(release) // ...then drain
	for _, c := range calls {
		c.wait(t)
	}
	if got := peak.Load(); got > limit {
		t.Errorf("peak concurrency = %d, want at most %d", got, limit)
	}
}

// A request whose client leaves while it waits for a slot never runs the
// stage, and its wait ends at once.
func TestClientGoneWhileQueuedNeverRunsTheStage(t *testing.T) {
	gate := make(chan struct{})
	var mu sync.Mutex
	var reached []string
	spec := &pipeline.Spec{Name: "one-at-a-time", Kind: pipeline.Stateless, Concurrency: 1, Stage: pipeline.StageFunc(func(ex *pipeline.Exchange) error {
		mu.Lock()
		reached = append(reached, ex.RequestID)
		mu.Unlock()
		if ex.RequestID == "req-/first" {
			<-gate
		}
		ex.Respond(http.StatusOK, "", nil)
		return nil
	})}
	p := newPipeline(t, supervisor.Policy{}, nil, []*pipeline.Spec{spec})
	first := p.start(t, "/first", nil)
	until(t, "first to hold the only slot", func() bool { n, _, _ := spec.Load(); return n == 1 })
	queued := p.start(t, "/queued", nil)
	until(t, "queued to wait for it", func() bool { _, w, _ := spec.Load(); return w == 1 })
	queued.cancel()
	if got := queued.wait(t); got != pipeline.Gone {
		t.Errorf("queued: outcome %v, want Gone", got)
	}
	close(gate)
	if got := first.wait(t); got != pipeline.Answered || first.ex.Response.Status != http.StatusOK {
		t.Fatalf("first: outcome %v, status %d", got, first.ex.Response.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if slices.Contains(reached, "req-/queued") {
		t.Errorf("the abandoned exchange reached the stage; reached = %v", reached)
	}
}

// A request whose deadline passes while it waits for a slot never runs the
// stage, and is answered 504 (by its deadline's watch, or by the wait
// itself, whichever settles it first), while the request that holds the
// slot goes on.
func TestDeadlineWhileQueuedNeverRunsTheStage(t *testing.T) {
	gate := make(chan struct{})
	var reached atomic.Int32
	spec := &pipeline.Spec{Name: "one-at-a-time", Kind: pipeline.Stateless, Concurrency: 1, Stage: pipeline.StageFunc(func(ex *pipeline.Exchange) error {
		reached.Add(1)
		if ex.RequestID == "req-/first" {
			<-gate
		}
		ex.Respond(http.StatusOK, "", nil)
		return nil
	})}
	p := newPipeline(t, supervisor.Policy{}, nil, []*pipeline.Spec{spec})
	first := p.start(t, "/first", nil)
	until(t, "first to hold the only slot", func() bool { n, _, _ := spec.Load(); return n == 1 })
	queued := p.start(t, "/queued", func(ex *pipeline.Exchange) { ex.Deadline = time.Now().Add(20 * time.Millisecond) })
	switch got := queued.wait(t); {
	case got == pipeline.Expired:
	case got == pipeline.Answered && queued.ex.Response.Status == http.StatusGatewayTimeout:
	default:
		t.Errorf("queued: outcome %v, status %d; want Expired, or Answered 504", got, queued.ex.Response.Status)
	}
	if _, w, _ := spec.Load(); w != 0 {
		t.Errorf("%d still waiting for a slot, want 0", w)
	}
	close(gate)
	if got := first.wait(t); got != pipeline.Answered || first.ex.Response.Status != http.StatusOK {
		t.Fatalf("first: outcome %v, status %d", got, first.ex.Response.Status)
	}
	if n := reached.Load(); n != 1 {
		t.Errorf("the stage ran %d times, want 1: the queued exchange must not reach it", n)
	}
}

func TestSpecValidate(t *testing.T) {
	stage := pipeline.StageFunc(func(*pipeline.Exchange) error { return nil })
	tests := []struct {
		name string
		give pipeline.Spec
		ok   bool
	}{
		{"pure", pipeline.Spec{Name: "p", Stage: stage}, true},
		{"no name", pipeline.Spec{Stage: stage}, false},
		{"pure without stage", pipeline.Spec{Name: "p"}, false},
		{"stateful without New", pipeline.Spec{Name: "s", Kind: pipeline.Stateful}, false},
		{"partitioned without key", pipeline.Spec{Name: "s", Kind: pipeline.Stateful, Partitions: 2, New: func() pipeline.Stage { return stage }}, false},
		{"negative concurrency", pipeline.Spec{Name: "b", Kind: pipeline.Stateless, Stage: stage, Concurrency: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.give.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// until polls cond, yielding between tries, and fails the test if it does
// not hold within 5 s.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
