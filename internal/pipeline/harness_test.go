package pipeline_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/supervisor"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// testPipeline is an itinerary of supervised hops, without HTTP.
type testPipeline struct {
	tree *supervisor.Tree
	it   *pipeline.Itinerary
}

// newPipeline spawns one hop per element of hops and chains them.
func newPipeline(t testing.TB, policy supervisor.Policy, clock supervisor.Clock, hops ...[]*pipeline.Spec) *testPipeline {
	t.Helper()
	sys := pipeline.NewSystem(zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
	tree := supervisor.NewTree(sys, clock)
	t.Cleanup(func() {
		_ = tree.Stop(context.Background())
		sys.Shutdown()
	})
	var built []*pipeline.Hop
	for _, specs := range hops {
		gates := make([]*pipeline.Gate, len(specs))
		for i, s := range specs {
			gates[i] = tree.Stage(s.Name, policy).Gate()
		}
		h, err := pipeline.NewHop(specs, gates)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Supervise(h); err != nil {
			t.Fatal(err)
		}
		built = append(built, h)
	}
	return &testPipeline{tree: tree, it: pipeline.NewItinerary(built...)}
}

// call is one exchange being served on a goroutine of its own, as the
// ingress serves it on the request's goroutine.
type call struct {
	ex      *pipeline.Exchange
	cancel  context.CancelFunc // the client going away
	done    chan struct{}      // closed when Serve has returned
	outcome pipeline.Outcome
}

// start serves a request for target on a new goroutine, which the test
// waits for at cleanup. setup runs on the exchange first.
func (p *testPipeline) start(t *testing.T, target string, setup func(ex *pipeline.Exchange)) *call {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	ex := pipeline.NewExchange(ctx, httptest.NewRequest("GET", target, nil).WithContext(ctx), p.it)
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
func (c *call) wait(t *testing.T) pipeline.Outcome {
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
func (p *testPipeline) run(t *testing.T, target string, setup func(ex *pipeline.Exchange)) *pipeline.Exchange {
	t.Helper()
	c := p.start(t, target, setup)
	c.wait(t)
	return c.ex
}

// trace records what stages did, in order, for one exchange.
var traceKey = pipeline.NewKey[*[]string]("trace")

func traced(ex *pipeline.Exchange) {
	traceKey.Set(ex, new([]string))
}

func note(ex *pipeline.Exchange, s string) {
	if tr, ok := traceKey.Get(ex); ok {
		*tr = append(*tr, s)
	}
}

func traceOf(ex *pipeline.Exchange) []string {
	tr, _ := traceKey.Get(ex)
	return *tr
}

// recorder is a pure stage that notes its name on the way in and, with
// after set, on the way out.
func recorder(name string, p pipeline.Priority, after bool) *pipeline.Spec {
	before := func(ex *pipeline.Exchange) error { note(ex, name+">"); return nil }
	var a func(ex *pipeline.Exchange)
	if after {
		a = func(ex *pipeline.Exchange) { note(ex, name+"<") }
	}
	return &pipeline.Spec{Name: name, Priority: p, Stage: pipeline.Around(before, a)}
}

func handler(name string, kind pipeline.Kind) *pipeline.Spec {
	return &pipeline.Spec{Name: name, Kind: kind, Priority: pipeline.Terminating, Stage: pipeline.StageFunc(func(ex *pipeline.Exchange) error {
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
