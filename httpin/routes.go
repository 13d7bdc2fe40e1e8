package httpin

import (
	"sync"
	"sync/atomic"

	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/routing"
)

// Routes is one generation of what the ingress routes by: the route table
// and the itinerary of its own rejections. The ingress reads the current
// generation once per request and holds it until the request's response
// is written, so that a request started on one generation finishes on it
// whatever Swap does meanwhile. A Routes is immutable once built.
type Routes struct {
	table      *routing.Table[*Route]
	rejections *pipeline.Itinerary

	// refs counts the requests holding the generation, plus one while it
	// is the ingress's current one (or has not been swapped in yet).
	refs    atomic.Int64
	drained chan struct{}
	once    sync.Once
}

// NewRoutes returns a generation of table, whose rejections (the requests
// the ingress turns away itself) go through rejections, which may be nil
// (see WithRejections).
func NewRoutes(table *routing.Table[*Route], rejections *pipeline.Itinerary) *Routes {
	rs := &Routes{table: table, rejections: rejections, drained: make(chan struct{})}
	rs.refs.Store(1)
	return rs
}

// Table returns the generation's route table.
func (rs *Routes) Table() *routing.Table[*Route] { return rs.table }

// Drained returns a channel that is closed once the generation has been
// swapped out and the last request that held it has finished (its response
// written). Its stages' actors and components may then be stopped.
func (rs *Routes) Drained() <-chan struct{} { return rs.drained }

// release drops one reference; the last one closes drained.
func (rs *Routes) release() {
	if rs.refs.Add(-1) == 0 {
		rs.once.Do(func() { close(rs.drained) })
	}
}

// acquire returns the current generation, held for one request: the
// caller releases it. A generation seen just as it is swapped out is let
// go and the new one taken, so a request never holds a generation that
// may already have drained.
func (in *Ingress) acquire() *Routes {
	for {
		rs := in.current.Load()
		rs.refs.Add(1)
		if in.current.Load() == rs {
			return rs
		}
		rs.release()
	}
}

// Routes returns the ingress's current generation.
func (in *Ingress) Routes() *Routes { return in.current.Load() }

// Swap makes next the ingress's generation for every request that starts
// from now on, and returns the previous one, whose Drained channel closes
// once the requests still running on it have finished. next must be new
// (from NewRoutes) and is swapped in at most once.
func (in *Ingress) Swap(next *Routes) (prev *Routes) {
	prev = in.current.Swap(next)
	prev.release() // the ingress's own reference
	return prev
}
