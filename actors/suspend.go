package actors

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Suspension is a handler's promise to answer its exchange later, from any
// goroutine: see Exchange.Suspend.
type Suspension struct {
	ex    *Exchange
	hop   *Hop
	stage int         // index in hop of the stage that suspended
	taken atomic.Bool // set by the first Resume, or by the actor if the stage panicked
}

// Suspend parks the exchange: the handler's Process returns at once, the
// actor that ran it moves on to the next exchange, and the exchange waits,
// held by nothing but the Suspension, until Resume. It is for handlers that
// wait on something that calls back (a batch, a reply from another actor)
// and would otherwise hold a goroutine per request: the actor's goroutine is
// free, and no goroutine waits in its place.
//
// From the call on, the exchange belongs to whoever holds the Suspension:
// the stage must not touch it after Process returns (and Process should
// return nil; what it returns is ignored). Resume may be called before
// Process returns, from the stage itself.
//
// Only the handler, the last stage of an itinerary, may suspend, and not
// in a Stateful hop, whose stage instance belongs to its actor; Suspend
// panics otherwise, which fails the request with a 500 as any panic in a
// stage does. If the deadline passes or the client goes away while the
// exchange is suspended, the ingress answers (504) or gives up as usual,
// and the later Resume is harmless.
func (ex *Exchange) Suspend() *Suspension {
	it := ex.itinerary
	if it == nil || ex.running == 0 || ex.susp != nil {
		panic("actors: Suspend outside a stage's Process, or twice")
	}
	h, stage := it.hops[ex.hop], ex.running-1
	switch {
	case ex.hop != len(it.hops)-1 || stage != len(h.specs)-1:
		panic(fmt.Sprintf("actors: stage %s is not the handler: only the handler may suspend", h.specs[stage].Name))
	case h.kind == Stateful:
		panic(fmt.Sprintf("actors: stage %s is stateful: a stateful stage may not suspend", h.specs[stage].Name))
	}
	s := &Suspension{ex: ex, hop: h, stage: stage}
	ex.susp = s
	return s
}

// Resume ends the suspension: with err nil the handler has set the
// response (Respond, JSON…); with an error the exchange fails with it, as
// if Process had returned it. The after-phases owed then run, on the
// calling goroutine for the stages fused into the handler's hop and for
// Blocking hops, in their own actors for the others, and the ingress
// writes the answer. They should be quick: the caller is often another
// actor.
//
// Only the first Resume counts; later calls do nothing.
func (s *Suspension) Resume(err error) {
	if !s.taken.CompareAndSwap(false, true) {
		return
	}
	ex := s.ex
	if err != nil {
		ex.Fail(err)
	}
	s.hop.afterFused(ex, s.stage)
	ex.itinerary.back(ex)
}

// take claims the exchange for its actor, when the stage panicked after
// Suspend: true if no Resume came first, and none will count.
func (s *Suspension) take() bool { return s.taken.CompareAndSwap(false, true) }

// afterFused runs the after-phases of the hop's stages before stage n,
// innermost first, on the caller's goroutine: the stages of a Pure or
// Blocking hop are values shared by its actors, so they may run anywhere. A
// panic fails the exchange with a 500 and is logged; no actor is involved,
// so none is restarted.
func (h *Hop) afterFused(ex *Exchange, n int) {
	for i := n - 1; i >= 0; i-- {
		a, ok := h.specs[i].Stage.(AfterStage)
		if !ok {
			continue
		}
		h.runAfterOutside(ex, i, a)
	}
}

func (h *Hop) runAfterOutside(ex *Exchange, i int, a AfterStage) {
	if ex.timing {
		start := time.Now()
		defer func() { ex.addTiming(h.specs[i].Name, time.Since(start)) }()
	}
	defer func() {
		if r := recover(); r != nil {
			h.log.WithOptions(zap.AddStacktrace(zapcore.ErrorLevel)).Error("stage panicked in its after-phase",
				zap.String("failed_stage", h.specs[i].Name),
				zap.String("request_id", ex.RequestID),
				zap.String("panic", fmt.Sprint(r)))
			ex.Fail(Errorf(http.StatusInternalServerError, "the request failed in stage %s", h.specs[i].Name))
		}
	}()
	a.After(ex)
}
