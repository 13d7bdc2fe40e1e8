package actors_test

import (
	"net/http"
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
	p := newPipeline(t, supervisor.Policy{}, nil, []*actors.Spec{spec}, []*actors.Spec{handler("h", actors.Pure)})
	for round := 1; round <= 3; round++ {
		for _, key := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
			ex := p.run(t, "/x?key="+key, nil)
			if got := ex.Response.HeaderIfAny().Get("X-Seen"); got != strconv.Itoa(round) {
				t.Errorf("key %s round %d: X-Seen = %s, want %d", key, round, got, round)
			}
		}
	}
}

func TestBlockingStageRunsAtMostConcurrencyAtOnce(t *testing.T) {
	const limit, total = 3, 12
	var running, peak atomic.Int32
	release := make(chan struct{})
	entered := make(chan struct{}, total) // buffered: one slot per exchange, never blocks
	spec := &actors.Spec{Name: "slow", Kind: actors.Blocking, Concurrency: limit, Stage: actors.StageFunc(func(ex *actors.Exchange) error {
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
	exs := make([]*actors.Exchange, total)
	for i := range exs {
		exs[i], _ = p.start(t, "/x", nil)
	}
	for range limit { // the pool fills up...
		<-entered
	}
	if got := running.Load(); got != limit {
		t.Errorf("running = %d with the pool full, want %d", got, limit)
	}
	close(release) // ...then drains
	for _, ex := range exs {
		wait(t, ex)
	}
	if got := peak.Load(); got > limit {
		t.Errorf("peak concurrency = %d, want at most %d", got, limit)
	}
}

func TestAbandonedExchangeNeverReachesLaterStages(t *testing.T) {
	gate := make(chan struct{})
	var mu sync.Mutex
	var reached []string
	spec := &actors.Spec{Name: "one-at-a-time", Kind: actors.Blocking, Concurrency: 1, Stage: actors.StageFunc(func(ex *actors.Exchange) error {
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
	first, _ := p.start(t, "/first", nil)
	queued, _ := p.start(t, "/queued", nil) // waits behind first in the only actor
	if !queued.Abandon() {
		t.Fatal("Abandon = false for an exchange not yet answered")
	}
	close(gate)
	wait(t, first)
	last := p.run(t, "/last", nil) // FIFO: once last is answered, queued has been skipped
	if last.Response.Status != http.StatusOK {
		t.Fatalf("last: status %d", last.Response.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range reached {
		if id == "req-/queued" {
			t.Errorf("the abandoned exchange reached the stage; reached = %v", reached)
		}
	}
	select {
	case <-queued.Done():
		t.Error("an abandoned exchange was answered")
	default:
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
		{"negative concurrency", actors.Spec{Name: "b", Kind: actors.Blocking, Stage: stage, Concurrency: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.give.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
