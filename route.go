package troupe

import (
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/overload"
)

// Route is one method and pattern with its handler, its own stages and
// limits. Its methods return the route, for chaining.
type Route struct {
	group     *Group
	method    string
	pattern   string
	handler   *actors.Spec
	stages    []*actors.Spec
	timeout   time.Duration
	bodyLimit int64
	stream    bool
	class     *overload.Class // nil: the group's
}

// With adds stages that apply to this route only.
func (r *Route) With(stages ...*actors.Spec) *Route {
	r.stages = append(r.stages, stages...)
	return r
}

// Timeout sets the route's request deadline, replacing the server's
// default; past it the client gets 504.
func (r *Route) Timeout(d time.Duration) *Route {
	r.timeout = d
	return r
}

// MaxBodyBytes sets the route's body limit, replacing the server's
// default; a larger body gets 413.
func (r *Route) MaxBodyBytes(n int64) *Route {
	r.bodyLimit = n
	return r
}

// StreamBody makes the route hand its request body to the pipeline unread,
// as Exchange.BodyReader, rather than reading it into Exchange.Body first:
// for a reverse proxy, or uploads too large to hold. The body limit still
// holds (413 once it is passed). Stages on the route see no Body.
func (r *Route) StreamBody() *Route {
	r.stream = true
	return r
}

// Criticality sets the route's class under overload, replacing its
// group's: when the server is past what it can serve, Sheddable requests
// are refused first and Critical ones last (see package overload). The
// default is overload.Default.
func (r *Route) Criticality(c overload.Class) *Route {
	r.class = &c
	return r
}

// Pattern returns the route's full pattern, group prefixes included.
func (r *Route) Pattern() string { return r.pattern }

// Method returns the route's method.
func (r *Route) Method() string { return r.method }

// criticality returns the route's class: its own, or its nearest group's.
func (r *Route) criticality() overload.Class {
	if r.class != nil {
		return *r.class
	}
	for g := r.group; g != nil; g = g.parent {
		if g.class != nil {
			return *g.class
		}
	}
	return overload.Default
}
