package pipeline

import (
	"net/http"
	"strconv"

	"go.uber.org/zap"
)

// Outcome is how an exchange's trip through its itinerary ended, as Serve
// reports it to the ingress.
type Outcome int

const (
	// Answered: the pipeline answered. The exchange's Response is final and
	// the caller writes it.
	Answered Outcome = iota
	// Refused: a stage the itinerary needs is down. The Response holds the
	// 503 (with Retry-After); no stage ran.
	Refused
	// Expired: the deadline passed first. The expire callback given to
	// Serve has answered the client; the pipeline's own answer is dropped.
	Expired
	// Gone: the client went away first. Nobody reads the response.
	Gone
)

var outcomeNames = [...]string{"answered", "refused", "expired", "gone"}

// String returns the outcome's lowercase name.
func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return "Outcome(" + strconv.Itoa(int(o)) + ")"
	}
	return outcomeNames[o]
}

// Serve drives ex along the itinerary on the calling goroutine, the
// request's own, and returns once every stage owed a visit has had it:
// Process on the way in, until a stage answers or the handler has run;
// after-phases on the way back, innermost first.
//
// Stateless stages run right here, under their hop's supervision: a panic
// answers the exchange 500 and is reported to the hop's supervising actor,
// which counts it towards the stage's crash loop. A Stateful stage runs in
// the actor that owns its state: the exchange is handed to it and the
// actor hands it back. No goroutine of another request ever runs this
// request's stages.
//
// At the deadline, expire is called once, on a timer's goroutine, to answer
// the client 504 while the pipeline may still be running; Serve returns
// only after expire has returned. expire gets a copy of the exchange's
// fields taken when Serve started (Expiry), never the exchange, which
// belongs to the stage that holds it. expire should be made once, not per
// request: what it needs of the request is in the Expiry, with what the
// caller attached to the exchange (Attach). A stage still running then keeps the goroutine until it
// returns: Go cannot stop it, and it should watch Exchange.Context.
func (it *Itinerary) Serve(ex *Exchange, expire func(*Expiry)) Outcome {
	if err := it.Down(); err != nil {
		ex.Fail(err)
		return Refused
	}
	ex.itinerary, ex.onExpire = it, expire
	if !ex.Deadline.IsZero() {
		ex.watch = startWatch(ex)
	}
	last := it.forward(ex)
	ex.clientGone()
	it.back(ex, last)
	it.logCause(ex)
	ex.reply()
	return ex.finish()
}

// Down returns the error to answer with (503 with Retry-After) if a stage
// the itinerary needs is down, or nil. Serve checks it first and answers
// Refused; the ingress then asks for the error, to answer the request the
// way it answers its other refusals.
func (it *Itinerary) Down() *Error {
	for _, h := range it.hops {
		for _, g := range h.gates {
			if g.Down() {
				return g.Err()
			}
		}
	}
	return nil
}

// forward visits the hops in order until one ends the exchange or the
// handler has run, and returns the index of the last hop visited. Its
// stages that completed are in ex.completed.
func (it *Itinerary) forward(ex *Exchange) int {
	for i, h := range it.hops {
		ex.hop = i
		if ex.settled() || ex.clientGone() {
			ex.completed = 0
			return i
		}
		if ex.trace != nil {
			ex.trace.StartHop(h.span)
		}
		if h.kind == Stateful {
			ex.returning = false
			h.visit(ex)
		} else {
			ex.completed = h.process(ex)
		}
		if ex.completed < len(h.specs) || ex.Response.Written() {
			return i
		}
	}
	return len(it.hops) - 1
}

// back runs the after-phases owed, innermost first: those of the first
// ex.completed stages of hop last, then those of every earlier hop.
func (it *Itinerary) back(ex *Exchange, last int) {
	n := ex.completed
	for i := last; i >= 0; i-- {
		if i < last {
			n = len(it.hops[i].specs)
		}
		it.backHop(ex, i, n)
		if ex.trace != nil {
			ex.trace.EndHops(i) // it has left hop i
		}
	}
}

// backHop runs the after-phases of the first n stages of hop i.
func (it *Itinerary) backHop(ex *Exchange, i, n int) {
	h := it.hops[i]
	if !h.hasAfter || n == 0 {
		return
	}
	ex.hop = i
	if h.kind == Stateful {
		ex.returning = true
		h.visit(ex)
		return
	}
	h.after(ex, n)
}

// logCause logs, once, why the exchange's answer is a 5xx, when the error
// that made it says more than the client is told: a handler's own error, or
// an *Error wrapping a cause. The client's problem document carries the
// request id, and so does the log line. The hop's log writes at most
// causeLinesPerSecond lines a second; the next one says how many were left
// out.
func (it *Itinerary) logCause(ex *Exchange) {
	if ex.cause == nil || ex.Response.Status < 500 {
		return
	}
	log := it.hops[len(it.hops)-1].log
	if log != nil {
		log.Error("request failed", ex.logFields(zap.String("request_id", ex.RequestID), zap.String("route", ex.Route),
			zap.Int("status", ex.Response.Status), zap.Error(ex.cause))...)
	}
	ex.cause = nil
}

// clientGone settles the exchange as abandoned if its client has gone
// away, and reports whether it has.
func (ex *Exchange) clientGone() bool {
	if ex.parent.Err() == nil {
		return false
	}
	ex.abandon()
	return true
}

// finish stops the deadline watch and says how the exchange ended. If the
// watch fired and won, it waits for expire to have answered the client.
func (ex *Exchange) finish() Outcome {
	if ex.watch != nil {
		ex.watch.stop()
		ex.watch = nil
	}
	if ex.wake != nil && !ex.wakeLost {
		wakes.Put(ex.wake)
		ex.wake = nil
	}
	switch ex.state.Load() {
	case stateExpired:
		<-ex.expireDone
		return Expired
	case stateAbandoned:
		return Gone
	}
	return Answered
}

// respondPreflight answers a CORS preflight that no stage answered: 204
// with Allow. It never reaches the handler.
func (ex *Exchange) respondPreflight() {
	ex.Respond(http.StatusNoContent, "", nil)
	ex.Response.Header().Set("Allow", ex.preflight)
}
