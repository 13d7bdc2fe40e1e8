package troupe

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/internal/pipeline"
	"go.uber.org/zap"
)

// ErrStopped is returned by Update once the app has begun to stop.
var ErrStopped = errors.New("troupe: app is stopping")

// Update changes the routes of a running app without dropping a request.
// fn declares on the Router what the app should serve from now on — new
// groups and routes, stages added, routes and groups removed — and, when
// it returns nil, the app plans the new routes (every check Start makes),
// spawns the actors of the stages that are new, starts the components that
// are new, and swaps the new route table in atomically: each request runs
// on the table it started with, to its end. A hop (a stage, or a run of
// stateless stages) whose stages are the very same *actors.Spec values as
// in the running table is carried over with its actors, and so with its
// state (a rate limit's buckets, a cache); a stage given as a new Spec
// gets new actors, its state starting afresh. What the new table no
// longer uses — components, and the hops' actors once the supervision tree
// can stop one hop — is stopped once the last request that could use it
// has finished.
//
// If fn or the planning fails, the app keeps serving as it was, its
// declarations (routes, groups, their stages and limits, global stages,
// components, admin routes) as they were before fn, and Update returns the
// error. Updates are serialised. Before Start (or Handler), Update only
// runs fn on the declarations. After Shutdown has begun it returns
// ErrStopped.
func (a *App) Update(fn func(r *Router) error) (*Changes, error) {
	a.live.mu.Lock()
	defer a.live.mu.Unlock()
	if a.live.halted {
		return nil, ErrStopped
	}
	saved := a.snapshot()
	if err := fn(&Router{app: a}); err != nil {
		saved.restore(a)
		return nil, err
	}
	if a.live.gen.Load() == nil { // not built: the declarations are all there is
		return &Changes{}, nil
	}
	ch, err := a.apply()
	if err != nil {
		saved.restore(a)
		return nil, err
	}
	return ch, nil
}

// apply plans the app's declarations into a new generation, starts what is
// new in it, swaps it in and retires the previous one. It runs under
// live.mu.
func (a *App) apply() (*Changes, error) {
	prev := a.live.gen.Load()
	table, rejections, hops, err := a.plan()
	if err != nil {
		return nil, err
	}
	running := map[*pipeline.Hop]bool{}
	for _, h := range prev.hops {
		running[h] = true
	}
	var fresh []*pipeline.Hop
	for _, h := range hops {
		if !running[h] {
			fresh = append(fresh, h)
		}
	}
	for i, h := range fresh {
		if err := a.tree.Supervise(h); err != nil {
			a.releaseHops(fresh[:i])
			return nil, fmt.Errorf("troupe: starting the actors of %s: %w", h.Name(), err)
		}
	}
	added, removed := diffComponents(prev.components, a.components)
	if err := a.swapComponents(added, removed); err != nil {
		a.releaseHops(fresh)
		return nil, err
	}
	next := &generation{
		hops:       hops,
		components: append([]Component(nil), a.components...),
		specs:      specsOf(hops),
		routes:     routeKeys(a.routes),
	}
	a.live.setAdmin(a, a.adminRoutes)
	next.table = httpin.NewRoutes(table, rejections)
	a.live.gen.Store(next)
	old := a.ingress.Swap(next.table)
	inUse := map[*pipeline.Hop]bool{}
	for _, h := range hops {
		inUse[h] = true
	}
	var retired []*pipeline.Hop
	for _, h := range prev.hops {
		if !inUse[h] {
			retired = append(retired, h)
		}
	}
	a.live.retire(a, old, retired, removed)
	ch := changes(prev, next)
	ch.HopsStarted, ch.HopsRetired = len(fresh), len(retired)
	ch.ComponentsStarted, ch.ComponentsStopped = len(added), len(removed)
	return ch, nil
}

// diffComponents returns the components of next not in prev, and those of
// prev not in next.
func diffComponents(prev, next []Component) (added, removed []Component) {
	in := func(cs []Component) map[Component]bool {
		m := make(map[Component]bool, len(cs))
		for _, c := range cs {
			m[c] = true
		}
		return m
	}
	p, n := in(prev), in(next)
	for _, c := range next {
		if !p[c] {
			added = append(added, c)
		}
	}
	for _, c := range prev {
		if !n[c] {
			removed = append(removed, c)
		}
	}
	return added, removed
}

// swapComponents starts the components added and takes the metrics of
// those removed off /metrics (they run on until their generation has
// drained): first, so that a component replacing one of the same name can
// register the same metrics. On error, what it did is undone.
func (a *App) swapComponents(added, removed []Component) error {
	reg := a.metrics.Registry()
	for _, c := range removed {
		if col, ok := c.(prometheus.Collector); ok {
			reg.Unregister(col)
		}
	}
	undo := func(started []Component) {
		_ = a.stopComponents(context.Background(), started) // never served: nothing waits on them
		for _, c := range removed {
			if col, ok := c.(prometheus.Collector); ok {
				_ = reg.Register(col)
			}
		}
	}
	for i, c := range added {
		if s, ok := c.(Supervised); ok {
			name := "component " + s.Name()
			s.Supervise(a.tree.Stage(name, a.policy(name)))
		}
		if err := c.Start(a.sys); err != nil {
			undo(added[:i])
			return fmt.Errorf("troupe: starting component %T: %w", c, err)
		}
		if col, ok := c.(prometheus.Collector); ok {
			if err := reg.Register(col); err != nil {
				undo(added[:i+1])
				return fmt.Errorf("troupe: metrics of component %T: %w", c, err)
			}
		}
	}
	return nil
}

// hopReleaser is a supervision tree that can stop the actors of one hop,
// leaving the others running (supervisor.Tree.Release).
type hopReleaser interface {
	Release(ctx context.Context, hop *pipeline.Hop) error
}

// releaseHops stops the actors of hops that no request can reach any more.
func (a *App) releaseHops(hops []*pipeline.Hop) {
	r, ok := any(a.tree).(hopReleaser)
	if !ok || len(hops) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.HTTP.WithDefaults().ShutdownTimeout)
	defer cancel()
	for _, h := range hops {
		if err := r.Release(ctx, h); err != nil {
			a.log.Warn("stopping a retired hop's actors", zap.String("hop", h.Name()), zap.Error(err))
		}
	}
}
