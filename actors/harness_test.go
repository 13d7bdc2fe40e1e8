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

// call is one exchange being served on a goroutine of its own, as the
// ingress serves it on the request's goroutine.
type call struct {
	ex      *actors.Exchange
	cancel  context.CancelFunc // the client going away
	done    chan struct{}      // closed when Serve has returned
	outcome actors.Outcome
}

// start serves a request for target on a new goroutine, which the test
// waits for at cleanup. setup runs on the exchange first.
func (p *pipeline) start(t *testing.T, target string, setup func(ex *actors.Exchange)) *call {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	ex := actors.NewExchange(ctx, httptest.NewRequest("GET", target, nil).WithContext(ctx), p.it)
	ex.RequestID = "req-" + target
	if setup != nil {
		setup(ex)
	}
	c := &call{ex: ex, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.outcome = p.it.Serve(ex, nil)
	}()
	t.Cleanup(func() { cancel(); <-c.done })
	return c
}

// wait waits for Serve to return, and fails the test after 5 s.
func (c *call) wait(t *testing.T) actors.Outcome {
	t.Helper()
	select {
	case <-c.done:
		return c.outcome
	case <-time.After(5 * time.Second):
		t.Fatalf("exchange %s was not served", c.ex.RequestID)
		return 0
	}
}

// run serves a request on the test's goroutine and returns its exchange.
func (p *pipeline) run(t *testing.T, target string, setup func(ex *actors.Exchange)) *actors.Exchange {
	t.Helper()
	c := p.start(t, target, setup)
	c.wait(t)
	return c.ex
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
