package troupe

import (
	"net/http"
	"strings"
	"time"

	"github.com/troupe-go/troupe/actors"
	livepage "github.com/troupe-go/troupe/internal/live"
	"github.com/troupe-go/troupe/overload"
	"github.com/troupe-go/troupe/supervisor"
)

// liveBatcher is a component with a batcher's figures for the live page
// (batching.Batcher).
type liveBatcher interface{ LiveBatcher() livepage.Batcher }

// liveUpstream is a component with an upstream's breaker and bulkhead for
// the live page (upstream.Upstream).
type liveUpstream interface {
	Name() string
	LiveUpstream() livepage.Upstream
	Bulkhead() *overload.Limiter
}

// liveComposite is a component made of others that the live page shows
// (batchproxy.Proxy: a batcher and its own upstream).
type liveComposite interface{ LiveComponents() []any }

// mountLive adds the live page and its JSON API (internal/live) to the
// admin mux. Its event streams end when their client leaves or once the
// app has stopped its stage actors, which Shutdown does before it stops
// the admin listener.
func (a *App) mountLive(mux *http.ServeMux) {
	livepage.New(a.liveSnapshot).Mount(mux)
}

// liveSnapshot returns the app's state for the live page, and false once
// the app has stopped. Everything it reads is an atomic counter, a value
// set before serving, (for an upstream) a message to its keeper actor, or
// (for the job queues) the job store, read at most twice a second: it adds
// no lock to any request's path.
func (a *App) liveSnapshot() (livepage.Snapshot, bool) {
	ready, reasons, degraded := a.readiness()
	s := livepage.Snapshot{
		Time: time.Now(),
		Server: livepage.Server{
			Ready:       ready,
			Reasons:     nonNil(reasons),
			Degraded:    nonNil(degraded),
			InFlight:    a.ingress.InFlight(),
			MaxInFlight: a.cfg.HTTP.WithDefaults().MaxInFlight,
		},
		Hops:       []livepage.Hop{},
		Components: []livepage.Stage{},
		Routes:     []livepage.Route{},
		Batchers:   []livepage.Batcher{},
		Upstreams:  []livepage.Upstream{},
		Limiters:   []livepage.Limiter{},
		Jobs:       a.jobsLive.snapshot(a.jobs),
	}
	healths := a.tree.Health()
	byName := make(map[string]*supervisor.Health, len(healths))
	for _, h := range healths {
		byName[h.Name()] = h
	}
	inHop := map[string]bool{}
	a.live.mu.Lock() // an Update changes the declared routes and components
	routes := append([]*Route(nil), a.routes...)
	components := append([]Component(nil), a.components...)
	a.live.mu.Unlock()
	for _, hop := range a.live.currentHops() {
		lh := livepage.Hop{Name: hop.Name(), Kind: hop.Kind().String(), Actors: nonNil(hop.Actors()), Mailbox: hop.Queued()}
		if hop.Kind() == actors.Stateful && hop.Specs()[0].Partitions > 1 {
			lh.Kind = "partitioned"
		}
		for _, spec := range hop.Specs() {
			inHop[spec.Name] = true
			st := liveStage(spec.Name, byName[spec.Name])
			st.Running, st.Waiting, _ = spec.Load()
			st.Concurrency = spec.Concurrency
			lh.Stages = append(lh.Stages, st)
		}
		s.Hops = append(s.Hops, lh)
	}
	for _, h := range healths {
		if !inHop[h.Name()] {
			s.Components = append(s.Components, liveStage(h.Name(), h))
		}
	}
	for _, r := range routes {
		s.Routes = append(s.Routes, liveRoute(r))
	}
	for _, l := range a.limiters() {
		s.Limiters = append(s.Limiters, livepage.LimiterOf(l.Name, l.L.Stats()))
	}
	for _, c := range components {
		parts := []any{c}
		if lc, ok := c.(liveComposite); ok {
			parts = lc.LiveComponents()
		}
		for _, p := range parts {
			if b, ok := p.(liveBatcher); ok {
				s.Batchers = append(s.Batchers, b.LiveBatcher())
			}
			if u, ok := p.(liveUpstream); ok {
				s.Upstreams = append(s.Upstreams, u.LiveUpstream())
				s.Limiters = append(s.Limiters, livepage.LimiterOf("upstream:"+u.Name(), u.Bulkhead().Stats()))
			}
		}
	}
	return s, !a.tree.Stopped()
}

// liveStage returns a stage's restarts and gate; h is nil for a stage the
// tree does not know (none, once built).
func liveStage(name string, h *supervisor.Health) livepage.Stage {
	st := livepage.Stage{Name: name, Up: true}
	if h == nil {
		return st
	}
	g := h.Gate()
	st.Restarts, st.Up, st.Critical, st.Closures = h.Restarts(), !h.Down(), h.Critical(), g.Closures()
	if !st.Up {
		st.ReopensInMS = livepage.Millis(g.RetryAfter())
	}
	if reason, at, ok := h.LastFailure(); ok {
		st.LastFailure, st.LastFailureAt = reason, &at
	}
	return st
}

// liveRoute returns a route and its itinerary: its stages in the order
// they run, grouped into hops as the planner groups them (a run of
// stateless stages shares a hop; a stateful stage has one of its own).
func liveRoute(r *Route) livepage.Route {
	specs := r.plannedStages()
	lr := livepage.Route{Method: r.method, Pattern: r.pattern, Criticality: r.criticality().String(), Stages: make([]string, len(specs))}
	for i := 0; i < len(specs); {
		j := i + 1
		if specs[i].Kind == actors.Stateless {
			for j < len(specs) && specs[j].Kind == actors.Stateless {
				j++
			}
		}
		names := make([]string, 0, j-i)
		for k := i; k < j; k++ {
			names = append(names, specs[k].Name)
			lr.Stages[k] = specs[k].Name
		}
		lr.Hops = append(lr.Hops, strings.Join(names, "+"))
		i = j
	}
	return lr
}

// nonNil makes a nil list an empty one, so that JSON has [] rather than
// null.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
