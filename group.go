package troupe

import (
	"net/http"
	"slices"
	"strings"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/overload"
)

// Group is a set of routes under a common path prefix that share stages.
// Groups nest: a route's stages are the app's global stages, then each
// enclosing group's from the outermost, then its own, ordered by priority.
// Groups are for building an app before it runs; they are not safe for
// concurrent use.
type Group struct {
	app    *App
	parent *Group
	prefix string
	stages []*actors.Spec
	class  *overload.Class // nil: the parent's
}

// Criticality sets the class under overload of the group's routes,
// including those of nested groups, unless they set their own (see
// Route.Criticality).
func (g *Group) Criticality(c overload.Class) *Group {
	g.class = &c
	return g
}

// Use adds stages to the group.
func (g *Group) Use(stages ...*actors.Spec) *Group {
	g.stages = append(g.stages, stages...)
	return g
}

// Group returns a nested group under prefix, with stages of its own.
func (g *Group) Group(prefix string, stages ...*actors.Spec) *Group {
	return &Group{app: g.app, parent: g, prefix: joinPath(g.prefix, prefix), stages: slices.Clone(stages)}
}

// Handle adds a route answering method on pattern (relative to the group's
// prefix) with handler. Method "*" answers every method.
func (g *Group) Handle(method, pattern string, handler *actors.Spec) *Route {
	r := &Route{group: g, method: method, pattern: joinPath(g.prefix, pattern), handler: handler}
	g.app.routes = append(g.app.routes, r)
	return r
}

// GET adds a GET route (which answers HEAD too) with a handler that may
// block; its stage name is "GET <pattern>".
func (g *Group) GET(pattern string, h HandlerFunc) *Route {
	return g.shorthand(http.MethodGet, pattern, h)
}

// POST adds a POST route, like GET.
func (g *Group) POST(pattern string, h HandlerFunc) *Route {
	return g.shorthand(http.MethodPost, pattern, h)
}

// PUT adds a PUT route, like GET.
func (g *Group) PUT(pattern string, h HandlerFunc) *Route {
	return g.shorthand(http.MethodPut, pattern, h)
}

// PATCH adds a PATCH route, like GET.
func (g *Group) PATCH(pattern string, h HandlerFunc) *Route {
	return g.shorthand(http.MethodPatch, pattern, h)
}

// DELETE adds a DELETE route, like GET.
func (g *Group) DELETE(pattern string, h HandlerFunc) *Route {
	return g.shorthand(http.MethodDelete, pattern, h)
}

func (g *Group) shorthand(method, pattern string, h HandlerFunc) *Route {
	full := joinPath(g.prefix, pattern)
	return g.Handle(method, pattern, Handler(method+" "+full, h))
}

// chain returns the group's stages, outermost group's first.
func (g *Group) chain() []*actors.Spec {
	if g == nil {
		return nil
	}
	return append(g.parent.chain(), g.stages...)
}

// joinPath joins a prefix and a pattern with exactly one slash between.
func joinPath(prefix, pattern string) string {
	prefix = strings.TrimRight(prefix, "/")
	if pattern == "" || pattern == "/" {
		if prefix == "" {
			return "/"
		}
		return prefix
	}
	return prefix + "/" + strings.TrimLeft(pattern, "/")
}
