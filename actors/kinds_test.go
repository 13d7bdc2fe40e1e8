package actors_test

import (
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/supervisor"
)

func TestPartitionedStageKeepsAKeyInOneActor(t *testing.T) {
	// Each instance counts, per key, the exchanges it has seen. If a key's
	// exchanges always reach the same instance, the count for a key grows
	// by exactly one each time.
	spec := &actors.Spec{
		Name: "per-key", Kind: actors.Stateful, Partitions: 4,
		PartitionKey: func(ex *actors.Exchange) string { return ex.Request.URL.Query().Get("key") },
		New: func() actors.Stage {
			seen := map[string]int{}
			return actors.StageFunc(func(ex *actors.Exchange) error {
				k := ex.Request.URL.Query().Get("key")
				seen[k]++
				ex.Response.Header().Set("X-Seen", strconv.Itoa(seen[k]))
				return nil
			})
		},
	}
	p := newPipeline(t, supervisor.Policy{}, nil, []*actors.Spec{spec}, []*actors.Spec{handler("h", actors.Stateless)})
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
	spec := &actors.Spec{Name: "slow", Kind: actors.Stateless, Concurrency: limit, Stage: actors.StageFunc(func(ex *actors.Exchange) error {
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
	p := newPipeline(t, supervisor.Policy{}, nil, []*actors.Spec{spec})
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
	spec := &actors.Spec{Name: "one-at-a-time", Kind: actors.Stateless, Concurrency: 1, Stage: actors.StageFunc(func(ex *actors.Exchange) error {
		mu.Lock()
		reached = append(reached, ex.RequestID)
		mu.Unlock()
		if ex.RequestID == "req-/first" {
			<-gate
		}
		ex.Respond(http.StatusOK, "", nil)
		return nil
	})}
	p := newPipeline(t, supervisor.Policy{}, nil, []*actors.Spec{spec})
	first := p.start(t, "/first", nil)
	for n, _, _ := spec.Load(); n != 1; n, _, _ = spec.Load() {
		runtime.Gosched() // until first holds the only slot
	}
	queued := p.start(t, "/queued", nil)
	for _, w, _ := spec.Load(); w != 1; _, w, _ = spec.Load() {
		runtime.Gosched() // until queued waits for it
	}
	queued.cancel()
	if got := queued.wait(t); got != actors.Gone {
		t.Errorf("queued: outcome %v, want Gone", got)
	}
	close(gate)
	if got := first.wait(t); got != actors.Answered || first.ex.Response.Status != http.StatusOK {
		t.Fatalf("first: outcome %v, status %d", got, first.ex.Response.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if slices.Contains(reached, "req-/queued") {
		t.Errorf("the abandoned exchange reached the stage; reached = %v", reached)
	}
}

func TestSpecValidate(t *testing.T) {
	stage := actors.StageFunc(func(*actors.Exchange) error { return nil })
	tests := []struct {
		name string
		give actors.Spec
		ok   bool
	}{
		{"pure", actors.Spec{Name: "p", Stage: stage}, true},
		{"no name", actors.Spec{Stage: stage}, false},
		{"pure without stage", actors.Spec{Name: "p"}, false},
		{"stateful without New", actors.Spec{Name: "s", Kind: actors.Stateful}, false},
		{"partitioned without key", actors.Spec{Name: "s", Kind: actors.Stateful, Partitions: 2, New: func() actors.Stage { return stage }}, false},
		{"negative concurrency", actors.Spec{Name: "b", Kind: actors.Stateless, Stage: stage, Concurrency: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.give.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
