package actors

// Itinerary is a route's plan: the hops an exchange visits, in order, the
// last one hosting the handler. Hops may be shared by many itineraries: an
// actor reads the next hop from the exchange, not from its own state (the
// routing-slip pattern). An Itinerary is immutable and safe for concurrent
// use.
type Itinerary struct {
	hops []*Hop
	// prevAfter[h] is the nearest hop before h with an after-phase, or -1:
	// where the exchange goes back to once hop h has answered it.
	prevAfter []int
}

// NewItinerary returns the itinerary that visits hops in order. It panics
// if hops is empty: every itinerary ends with a handler.
func NewItinerary(hops ...*Hop) *Itinerary {
	if len(hops) == 0 {
		panic("actors: an itinerary needs at least one hop")
	}
	it := &Itinerary{hops: hops, prevAfter: make([]int, len(hops))}
	last := -1
	for i, h := range hops {
		it.prevAfter[i] = last
		if h.hasAfter {
			last = i
		}
	}
	return it
}

// Hops returns the hops of the itinerary, in order. The slice must not be
// changed.
func (it *Itinerary) Hops() []*Hop { return it.hops }

// Dispatch starts ex on its itinerary. If a stage the itinerary needs is
// down, it returns that stage's error (503 with Retry-After) instead, and
// ex is not sent anywhere.
func (it *Itinerary) Dispatch(ex *Exchange) *Error {
	for _, h := range it.hops {
		for _, g := range h.gates {
			if g.Down() {
				return g.Err()
			}
		}
	}
	ex.itinerary = it
	ex.hop = 0
	it.hops[0].ref.tell(ex)
	return nil
}

// forward sends ex to the hop after the current one. It reports false when
// the current hop is the last.
func (it *Itinerary) forward(ex *Exchange) bool {
	if ex.hop+1 >= len(it.hops) {
		return false
	}
	ex.hop++
	it.hops[ex.hop].ref.tell(ex)
	return true
}

// back sends ex, which has its response, to the nearest earlier hop with an
// after-phase, or answers it when there is none.
//
// A Blocking hop's after-phase runs right here, on the goroutine that sends
// the exchange back, not in the hop's pool: its stage is one value shared
// by the pool, so it can run anywhere, and running it in the pool could
// queue it behind actors blocked in Process waiting for what this very
// after-phase releases (a throttle's slot) — a deadlock.
func (it *Itinerary) back(ex *Exchange) {
	for {
		p := it.prevAfter[ex.hop]
		if p < 0 {
			ex.reply()
			return
		}
		ex.hop = p
		ex.returning = true
		h := it.hops[p]
		if h.kind != Blocking {
			h.ref.tell(ex)
			return
		}
		h.afterFused(ex, len(h.specs))
	}
}
