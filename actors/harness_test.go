package actors_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/supervisor"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// pipeline is an itinerary of supervised hops, without HTTP.
type pipeline struct {
	tree *supervisor.Tree
	it   *actors.Itinerary
}

// newPipeline spawns one hop per element of hops and chains them.
func newPipeline(t testing.TB, policy supervisor.Policy, clock supervisor.Clock, hops ...[]*actors.Spec) *pipeline {
	t.Helper()
	sys := actors.NewSystem(zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
	tree := supervisor.NewTree(sys, clock)
	t.Cleanup(func() {
		_ = tree.Stop(context.Background())
		sys.Shutdown()
	})
	var built []*actors.Hop
	for _, specs := range hops {
		gates := make([]*actors.Gate, len(specs))
		for i, s := range specs {
			gates[i] = tree.Stage(s.Name, policy).Gate()
		}
		h, err := actors.NewHop(specs, gates)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Supervise(h); err != nil {
			t.Fatal(err)
		}
		built = append(built, h)
	}
	return &pipeline{tree: tree, it: actors.NewItinerary(built...)}
}

// start dispatches a request for target and returns its exchange. If
// Dispatch refuses it, the exchange carries the refusal as its response and
// is never answered through Done.
func (p *pipeline) start(t *testing.T, target string, setup func(ex *actors.Exchange)) (*actors.Exchange, bool) {
	t.Helper()
	ex := actors.NewExchange(t.Context(), httptest.NewRequest("GET", target, nil), p.it)
	ex.RequestID = "req-" + target
	if setup != nil {
		setup(ex)
	}
	if err := p.it.Dispatch(ex); err != nil {
		ex.Fail(err)
		return ex, false
	}
	return ex, true
}

// run dispatches a request and waits for its reply.
func (p *pipeline) run(t *testing.T, target string, setup func(ex *actors.Exchange)) *actors.Exchange {
	t.Helper()
	ex, dispatched := p.start(t, target, setup)
	if dispatched {
		wait(t, ex)
	}
	return ex
}

func wait(t *testing.T, ex *actors.Exchange) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	select {
	case <-ex.Done():
	case <-ctx.Done():
		t.Fatalf("exchange %s was not answered", ex.RequestID)
	}
}

// trace records what stages did, in order, for one exchange.
var traceKey = actors.NewKey[*[]string]("trace")

func traced(ex *actors.Exchange) {
	traceKey.Set(ex, new([]string))
}

func note(ex *actors.Exchange, s string) {
	if tr, ok := traceKey.Get(ex); ok {
		*tr = append(*tr, s)
	}
}

func traceOf(ex *actors.Exchange) []string {
	tr, _ := traceKey.Get(ex)
	return *tr
}

// recorder is a pure stage that notes its name on the way in and, with
// after set, on the way out.
func recorder(name string, p actors.Priority, after bool) *actors.Spec {
	before := func(ex *actors.Exchange) error { note(ex, name+">"); return nil }
	var a func(ex *actors.Exchange)
	if after {
		a = func(ex *actors.Exchange) { note(ex, name+"<") }
	}
	return &actors.Spec{Name: name, Priority: p, Stage: actors.Around(before, a)}
}

func handler(name string, kind actors.Kind) *actors.Spec {
	return &actors.Spec{Name: name, Kind: kind, Priority: actors.Terminating, Stage: actors.StageFunc(func(ex *actors.Exchange) error {
		note(ex, name)
		ex.Respond(200, "text/plain", []byte("ok"))
		return nil
	})}
}

// counter counts calls, safely from any goroutine.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) add(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[k]++
}

func (c *counter) get(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[k]
}
