package actors

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
)

// StagePanic is the failure a stage actor escalates to its supervisor when a
// stage panics, after it has answered the exchange that hit the panic.
type StagePanic struct {
	// Stage is the name of the stage that panicked.
	Stage string
	// Value is what the stage panicked with.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// String describes the panic in one line.
func (p *StagePanic) String() string { return fmt.Sprintf("stage %s panicked: %v", p.Stage, p.Value) }

// stageActor runs a hop's stages on one exchange at a time. Its stages are
// its own instances (fresh ones after a restart, for stateful stages).
type stageActor struct {
	hop    *Hop
	stages []Stage
	afters []AfterStage // afters[i] is stages[i] as an AfterStage, or nil
	log    *zap.Logger
	load   *atomic.Int32 // this actor's load slot in an idleFirst pool, or nil
}

func newStageActor(h *Hop, log *zap.Logger, load *atomic.Int32) *stageActor {
	a := &stageActor{hop: h, stages: make([]Stage, len(h.specs)), afters: make([]AfterStage, len(h.specs)), log: log, load: load}
	for i, s := range h.specs {
		st := s.Stage
		if s.Kind == Stateful {
			st = s.New()
		}
		a.stages[i] = st
		a.afters[i], _ = st.(AfterStage)
	}
	return a
}

// Receive implements actor.Actor.
func (a *stageActor) Receive(c actor.Context) {
	ex, ok := c.Message().(*Exchange)
	if !ok {
		return // lifecycle messages
	}
	if a.load != nil {
		defer a.load.Add(-1)
	}
	if ex.Settled() {
		return // nobody waits for it any more
	}
	if ex.returning {
		a.after(ex, len(a.stages))
		ex.itinerary.back(ex)
		return
	}
	if n := a.process(ex); n == len(a.stages) && ex.itinerary.forward(ex) {
		return
	} else {
		a.after(ex, n)
	}
	ex.itinerary.back(ex)
}

// process runs the stages' Process in order and returns how many ran to
// completion without ending the exchange.
func (a *stageActor) process(ex *Exchange) (i int) {
	defer func() {
		if r := recover(); r != nil {
			a.fail(ex, i, r)
		}
	}()
	for ; i < len(a.stages); i++ {
		if ex.preflight != "" && i == len(a.stages)-1 && ex.hop == len(ex.itinerary.hops)-1 {
			// A preflight that no stage answered never reaches the handler.
			ex.Respond(http.StatusNoContent, "", nil)
			ex.Response.Header().Set("Allow", ex.preflight)
			return i
		}
		if g := a.hop.gates[i]; g.Down() {
			ex.Fail(g.Err())
			return i
		}
		if err := a.run(ex, i); err != nil {
			ex.Fail(err)
			return i
		}
		if ex.Response.Written() {
			return i
		}
	}
	return i
}

// run runs stage i's Process, timing it if the exchange asks for that.
func (a *stageActor) run(ex *Exchange, i int) error {
	if !ex.timing {
		return a.stages[i].Process(ex)
	}
	start := time.Now()
	err := a.stages[i].Process(ex)
	ex.addTiming(a.hop.specs[i].Name, time.Since(start))
	return err
}

// after runs the after-phases of the first n stages, innermost first.
func (a *stageActor) after(ex *Exchange, n int) {
	i := n - 1
	defer func() {
		if r := recover(); r != nil {
			a.fail(ex, i, r)
		}
	}()
	for ; i >= 0; i-- {
		if s := a.afters[i]; s != nil {
			if ex.timing {
				start := time.Now()
				s.After(ex)
				ex.addTiming(a.hop.specs[i].Name, time.Since(start))
			} else {
				s.After(ex)
			}
		}
	}
}

// fail answers the exchange whose stage i panicked with a 500 at once,
// sends it back through the earlier hops' after-phases, and then panics on
// so that the supervisor decides the actor's fate. Nothing here may touch
// ex after it has been sent on.
func (a *stageActor) fail(ex *Exchange, i int, r any) {
	p := &StagePanic{Stage: a.hop.specs[i].Name, Value: r, Stack: debug.Stack()}
	a.log.Error("stage panicked",
		zap.String("request_id", ex.RequestID),
		zap.String("panic", fmt.Sprint(r)),
		zap.ByteString("stack", p.Stack))
	ex.Fail(Errorf(http.StatusInternalServerError, "the request failed in stage %s", p.Stage))
	ex.itinerary.back(ex)
	panic(p)
}
