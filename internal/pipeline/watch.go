package pipeline

import (
	"net/http"
	"sync"
	"time"
)

// Expiry is what the deadline's callback (Itinerary.Serve's expire) may
// read: a copy of the exchange's fields taken when Serve started, since the
// exchange itself belongs to whichever stage holds it when the deadline
// passes, and a stage may change its exported fields.
type Expiry struct {
	Request   *http.Request
	RequestID string
	Route     string
	Start     time.Time
	// Deadline is the deadline that passed: the ingress's, or an earlier
	// one a stage set with Exchange.Shorten.
	Deadline time.Time
	// Fixed is the itinerary's FixedHeaders.
	Fixed http.Header
	// Attached is what the driver attached to the exchange (Attach).
	Attached any
}

// watch is an exchange's deadline watch: a timer that calls expire on the
// exchange it watches. Watches are reused, since a timer and the function
// it calls would otherwise be two allocations for every request. A watch
// goes back to the pool only when Stop has kept its timer from firing: one
// that fired, or may be firing, still belongs to the exchange it watched.
//
// Each itinerary has a pool of its own, not the process one: a timer made
// inside a testing/synctest bubble must never be reset outside it (the
// runtime stops the program), and an app made in a bubble stays in it.
type watch struct {
	timer *time.Timer
	pool  *sync.Pool
	ex    *Exchange // the exchange watched; written only while the timer is stopped
	info  Expiry    // likewise
}

// newWatchPool returns an empty pool of watches.
func newWatchPool() *sync.Pool {
	p := &sync.Pool{}
	p.New = func() any {
		w := &watch{pool: p}
		w.timer = time.AfterFunc(time.Hour, w.fire)
		w.timer.Stop()
		return w
	}
	return p
}

// startWatch returns a watch that calls ex.expire at ex.Deadline.
func startWatch(ex *Exchange) *watch {
	w := ex.itinerary.watches.Get().(*watch)
	// Before Reset, which orders these writes before fire's reads.
	w.ex = ex
	w.info = Expiry{Request: ex.Request, RequestID: ex.RequestID, Route: ex.Route, Start: ex.Start,
		Deadline: ex.Deadline, Fixed: ex.itinerary.fixed, Attached: ex.attached}
	w.timer.Reset(time.Until(ex.Deadline))
	return w
}

// fire is the timer's function.
func (w *watch) fire() { w.ex.expire(&w.info) }

// stop stops the watch; the exchange must not use it afterwards. It
// reports false if the timer had fired already (the watch is not reused).
func (w *watch) stop() bool {
	if !w.timer.Stop() {
		return false
	}
	w.ex, w.info = nil, Expiry{}
	w.pool.Put(w)
	return true
}

// move sets the watch to fire at d instead, unless it has fired already.
func (w *watch) move(d time.Time) {
	if w.timer.Stop() {
		w.info.Deadline = d
		w.timer.Reset(time.Until(d))
	}
}
