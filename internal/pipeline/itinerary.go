package pipeline

// Itinerary is a route's plan: the hops an exchange visits, in order, the
// last one hosting the handler. Hops may be shared by many itineraries. An
// Itinerary is immutable and safe for concurrent use; Serve drives one
// exchange along it.
type Itinerary struct {
	hops []*Hop
}

// NewItinerary returns the itinerary that visits hops in order. It panics
// if hops is empty: every itinerary ends with a handler.
func NewItinerary(hops ...*Hop) *Itinerary {
	if len(hops) == 0 {
		panic("actors: an itinerary needs at least one hop")
	}
	return &Itinerary{hops: hops}
}

// Hops returns the hops of the itinerary, in order. The slice must not be
// changed.
func (it *Itinerary) Hops() []*Hop { return it.hops }
