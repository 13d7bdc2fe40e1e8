package troupe

import (
	"net/http"
	"slices"

	"github.com/troupe-go/troupe/actors"
)

// Router is what Update hands its function: the app's declarations, to
// change. Groups and routes it returns are declared like those of App;
// keep them to add to or remove later:
//
//	var tenant *troupe.Group
//	app.Update(func(r *troupe.Router) error {
//		tenant = r.Group("/tenant/42", tenantAuth)
//		tenant.GET("/dashboard", dashboard)
//		return nil
//	})
//	…
//	app.Update(func(r *troupe.Router) error { r.RemoveGroup(tenant); return nil })
//
// A Router is valid only during its Update's function.
type Router struct{ app *App }

// Use adds global stages: every route runs them.
func (r *Router) Use(stages ...*actors.Spec) *Router {
	r.app.root.Use(stages...)
	return r
}

// Group returns a group of routes under prefix, with stages of its own.
func (r *Router) Group(prefix string, stages ...*actors.Spec) *Group {
	return r.app.root.Group(prefix, stages...)
}

// Handle adds a route at the top level; see Group.Handle.
func (r *Router) Handle(method, pattern string, handler *actors.Spec) *Route {
	return r.app.root.Handle(method, pattern, handler)
}

// GET adds a top-level GET route; see Group.GET.
func (r *Router) GET(pattern string, h HandlerFunc) *Route { return r.app.root.GET(pattern, h) }

// POST adds a top-level POST route; see Group.GET.
func (r *Router) POST(pattern string, h HandlerFunc) *Route { return r.app.root.POST(pattern, h) }

// PUT adds a top-level PUT route; see Group.GET.
func (r *Router) PUT(pattern string, h HandlerFunc) *Route { return r.app.root.PUT(pattern, h) }

// PATCH adds a top-level PATCH route; see Group.GET.
func (r *Router) PATCH(pattern string, h HandlerFunc) *Route { return r.app.root.PATCH(pattern, h) }

// DELETE adds a top-level DELETE route; see Group.GET.
func (r *Router) DELETE(pattern string, h HandlerFunc) *Route { return r.app.root.DELETE(pattern, h) }

// EnqueueRoute adds a route that enqueues its body as a job of queue (see
// App.EnqueueRoute).
func (r *Router) EnqueueRoute(pattern, queue string) *Route {
	return r.app.root.EnqueueRoute(pattern, queue)
}

// Routes returns the routes declared, in order.
func (r *Router) Routes() []*Route { return slices.Clone(r.app.routes) }

// Remove removes the routes answering method on pattern (the full pattern,
// group prefixes included, as Route.Pattern gives it) and reports whether
// there were any.
func (r *Router) Remove(method, pattern string) bool {
	return r.removeIf(func(rt *Route) bool { return rt.method == method && rt.pattern == pattern }) > 0
}

// RemoveRoute removes rt and reports whether it was declared.
func (r *Router) RemoveRoute(rt *Route) bool {
	return r.removeIf(func(x *Route) bool { return x == rt }) > 0
}

// RemoveGroup removes every route of g and of the groups nested in it, and
// returns how many there were. Stages that only those routes ran stop
// once the requests on them have finished.
func (r *Router) RemoveGroup(g *Group) int {
	return r.removeIf(func(rt *Route) bool {
		for x := rt.group; x != nil; x = x.parent {
			if x == g {
				return true
			}
		}
		return false
	})
}

func (r *Router) removeIf(drop func(*Route) bool) int {
	n := len(r.app.routes)
	r.app.routes = slices.DeleteFunc(slices.Clone(r.app.routes), drop)
	return n - len(r.app.routes)
}

// Reset removes every route, global stage and component, to declare the
// app anew: what a configuration reload does. A stage declared again as
// the same *actors.Spec keeps its actors and state; a component added
// again (the same value) keeps running. Admin routes stay (see
// RemoveAdmin).
func (r *Router) Reset() {
	r.app.routes = nil
	r.app.root.stages = nil
	r.app.components = nil
}

// Add adds components, started before the new routes are swapped in; see
// App.Add.
func (r *Router) Add(cs ...Component) { r.app.Add(cs...) }

// RemoveComponent removes c, which is stopped once the requests that could
// use it have finished, and reports whether it was added. Do not add it
// again: a stopped component does not start twice.
func (r *Router) RemoveComponent(c Component) bool {
	n := len(r.app.components)
	r.app.components = slices.DeleteFunc(slices.Clone(r.app.components), func(x Component) bool { return x == c })
	return n != len(r.app.components)
}

// AdminHandle adds a route to the admin listener, or replaces the handler
// of one with the same pattern; see App.AdminHandle.
func (r *Router) AdminHandle(pattern string, h http.Handler) {
	r.RemoveAdmin(pattern)
	r.app.AdminHandle(pattern, h)
}

// RemoveAdmin removes the admin route of pattern, which then answers 404,
// and reports whether there was one.
func (r *Router) RemoveAdmin(pattern string) bool {
	n := len(r.app.adminRoutes)
	r.app.adminRoutes = slices.DeleteFunc(slices.Clone(r.app.adminRoutes), func(x adminRoute) bool { return x.pattern == pattern })
	return n != len(r.app.adminRoutes)
}

// declarations is a copy of what an Update's function may change, to put
// back if it fails.
type declarations struct {
	routes      []*Route
	components  []Component
	adminRoutes []adminRoute
	routeVals   map[*Route]Route
	groupVals   map[*Group]Group
}

// snapshot copies the app's declarations.
func (a *App) snapshot() declarations {
	d := declarations{
		routes:      slices.Clone(a.routes),
		components:  slices.Clone(a.components),
		adminRoutes: slices.Clone(a.adminRoutes),
		routeVals:   map[*Route]Route{},
		groupVals:   map[*Group]Group{a.root: *a.root},
	}
	for _, r := range a.routes {
		d.routeVals[r] = *r
		for g := r.group; g != nil; g = g.parent {
			d.groupVals[g] = *g
		}
	}
	for r, v := range d.routeVals {
		v.stages = slices.Clone(v.stages)
		d.routeVals[r] = v
	}
	for g, v := range d.groupVals {
		v.stages = slices.Clone(v.stages)
		d.groupVals[g] = v
	}
	return d
}

// restore puts the declarations back.
func (d declarations) restore(a *App) {
	a.routes, a.components, a.adminRoutes = d.routes, d.components, d.adminRoutes
	for r, v := range d.routeVals {
		*r = v
	}
	for g, v := range d.groupVals {
		*g = v
	}
}
