package httpin

import (
	"sync/atomic"
	"time"

	"github.com/troupe-go/troupe/overload"

	"github.com/troupe-go/troupe/internal/pipeline"
)

// Route is what the ingress knows of a matched route.
type Route struct {
	// Pattern is the route's pattern, for logs and metrics.
	Pattern string
	// Itinerary is the route's plan of stage actors.
	Itinerary *pipeline.Itinerary
	// Timeout is the route's request deadline; 0 means the ingress default.
	Timeout time.Duration
	// MaxBodyBytes is the route's body limit; 0 means the ingress default.
	MaxBodyBytes int64
	// StreamBody hands the request body to the pipeline unread, as
	// Exchange.BodyReader, instead of reading it into Exchange.Body.
	StreamBody bool
	// Class is the route's criticality under overload: Sheddable requests
	// are refused first, Critical ones last. The zero value is Default.
	Class overload.Class

	// wl is the route's own kind of work for the ingress's adaptive limit,
	// made on the route's first request: each route's service times are
	// judged against its own unloaded figure.
	wl atomic.Pointer[overload.Workload]
}

// workload returns the route's workload for l, making it on first use.
func (rt *Route) workload(l *overload.Limiter) *overload.Workload {
	if w := rt.wl.Load(); w != nil {
		return w
	}
	rt.wl.CompareAndSwap(nil, l.NewWorkload())
	return rt.wl.Load()
}
