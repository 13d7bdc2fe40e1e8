package pipeline

import (
	"net/http"
	"sync"
)

// Itinerary is a route's plan: the hops an exchange visits, in order, the
// last one hosting the handler. Hops may be shared by many itineraries. An
// Itinerary is immutable and safe for concurrent use; Serve drives one
// exchange along it.
type Itinerary struct {
	hops    []*Hop
	fixed   http.Header // the FixedHeaders of its stages, merged in order; nil if none
	watches *sync.Pool  // of *watch (watch.go)
}

// NewItinerary returns the itinerary that visits hops in order. It panics
// if hops is empty: every itinerary ends with a handler.
func NewItinerary(hops ...*Hop) *Itinerary {
	if len(hops) == 0 {
		panic("pipeline: an itinerary needs at least one hop")
	}
	it := &Itinerary{hops: hops, watches: newWatchPool()}
	for _, h := range hops {
		for _, s := range h.specs {
			fh, ok := s.Stage.(FixedHeaderStage)
			if !ok {
				continue
			}
			if it.fixed == nil {
				it.fixed = http.Header{}
			}
			for k, v := range fh.FixedHeaders() {
				it.fixed[http.CanonicalHeaderKey(k)] = v
			}
		}
	}
	return it
}

// FixedHeaders returns the headers that the itinerary's stages set on every
// response (see FixedHeaderStage), later stages winning, or nil. The
// ingress adds them to the deadline's 504, which no stage sees. The header
// must not be changed.
func (it *Itinerary) FixedHeaders() http.Header { return it.fixed }

// Hops returns the hops of the itinerary, in order. The slice must not be
// changed.
func (it *Itinerary) Hops() []*Hop { return it.hops }
