package troupe

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/internal/pipeline"
	"go.uber.org/zap"
)

// live is what changes while an app runs: its current generation, the
// goroutines retiring earlier ones, and the admin routes' handlers.
type live struct {
	mu     sync.Mutex // serialises Update, and Update with shutdown
	halted bool       // shutdown has begun: no more Updates

	gen    atomic.Pointer[generation] // nil until the app is built
	reject struct {
		once sync.Once
		spec *actors.Spec
	}

	retiring    sync.WaitGroup
	stopping    chan struct{} // closed when shutdown begins
	lastRetired chan struct{} // closed once every generation swapped out so far is retired
	leftMu      sync.Mutex
	leftover    []Component // of generations not yet retired when shutdown began

	admin adminTable
}

// generation is one planned set of routes and what serves them.
type generation struct {
	table      *httpin.Routes
	hops       []*pipeline.Hop
	components []Component
	specs      map[string]*actors.Spec // every stage and handler, by name
	routes     map[string]bool         // "METHOD PATTERN" of every route
}

// begin records the app's first generation, once it is built.
func (l *live) begin(a *App, hops []*pipeline.Hop) {
	l.stopping = make(chan struct{})
	l.lastRetired = make(chan struct{})
	close(l.lastRetired)
	l.gen.Store(&generation{
		table:      a.ingress.Routes(),
		hops:       hops,
		components: append([]Component(nil), a.components...),
		specs:      specsOf(hops),
		routes:     routeKeys(a.routes),
	})
}

// currentHops returns the hops of the current generation, for metrics.
func (l *live) currentHops() []*pipeline.Hop {
	if g := l.gen.Load(); g != nil {
		return g.hops
	}
	return nil
}

// rejectionSpec returns the handler of the ingress's rejections: one Spec
// for the app's life, so that the hop ending in it carries over.
func (l *live) rejectionSpec() *actors.Spec {
	l.reject.once.Do(func() {
		l.reject.spec = &actors.Spec{
			Name: rejectionsName, Kind: actors.Stateless, Priority: actors.Terminating, Stage: httpin.RejectionHandler(),
		}
	})
	return l.reject.spec
}

// hopKey is what the planner finds a hop by: the names of its stages.
func hopKey(specs []*actors.Spec) string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return strings.Join(names, "\x00")
}

// hopsByKey returns the current generation's hops by key, or nil before
// the app is built.
func (l *live) hopsByKey() map[string]*pipeline.Hop {
	g := l.gen.Load()
	if g == nil {
		return nil
	}
	m := make(map[string]*pipeline.Hop, len(g.hops))
	for _, h := range g.hops {
		m[hopKey(h.Specs())] = h
	}
	return m
}

// carried returns h, a running hop, if it hosts exactly specs (the same
// Spec values, in order), so that it is carried over with its actors and
// their state; nil otherwise.
func carried(h *pipeline.Hop, specs []*actors.Spec) *pipeline.Hop {
	if h == nil || len(h.Specs()) != len(specs) {
		return nil
	}
	for i, s := range h.Specs() {
		if s != specs[i] {
			return nil
		}
	}
	return h
}

// specsOf returns the stages and handlers of hops by name, without the
// ingress's own rejection handler.
func specsOf(hops []*pipeline.Hop) map[string]*actors.Spec {
	m := map[string]*actors.Spec{}
	for _, h := range hops {
		for _, s := range h.Specs() {
			if s.Name != rejectionsName {
				m[s.Name] = s
			}
		}
	}
	return m
}

// routeKeys returns "METHOD PATTERN" of every route.
func routeKeys(routes []*Route) map[string]bool {
	m := make(map[string]bool, len(routes))
	for _, r := range routes {
		m[r.method+" "+r.pattern] = true
	}
	return m
}

// retire stops what only a swapped-out generation used — its components
// removed, its hops no longer planned — once the last request on it, and
// on every generation before it, has finished. It runs under l.mu.
func (l *live) retire(a *App, old *httpin.Routes, hops []*pipeline.Hop, comps []Component) {
	before, done := l.lastRetired, make(chan struct{})
	l.lastRetired = done
	l.retiring.Go(func() {
		defer close(done)
		for _, c := range []<-chan struct{}{old.Drained(), before} {
			select {
			case <-c:
			case <-l.stopping: // shutdown stops them, once the listener has drained
				l.leftMu.Lock()
				l.leftover = append(l.leftover, comps...)
				l.leftMu.Unlock()
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), a.cfg.HTTP.WithDefaults().ShutdownTimeout)
		defer cancel()
		if err := a.stopComponents(ctx, comps); err != nil {
			a.log.Error("stopping the components of a retired generation", zap.Error(err))
		}
		a.releaseHops(hops)
	})
}

// halt ends Updates and the retirements under way, and stops the
// components that retired generations left: shutdown calls it once the
// listener has drained. It is safe to call twice, and before begin.
func (l *live) halt(ctx context.Context, a *App) error {
	l.mu.Lock()
	if !l.halted {
		l.halted = true
		if l.stopping != nil {
			close(l.stopping)
		}
	}
	l.mu.Unlock()
	l.retiring.Wait()
	l.leftMu.Lock()
	left := l.leftover
	l.leftover = nil
	l.leftMu.Unlock()
	return a.stopComponents(ctx, left)
}
