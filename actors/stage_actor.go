package actors

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
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
//
// The shape of one visit: run the stages forward (or, on the way back,
// not at all); unless the exchange goes on to the next hop, run the
// after-phases of the stages whose Process completed, innermost first; send
// the exchange back; and only then, if a stage panicked, panic on so that
// the supervisor restarts the actor. The exchange is answered, and every
// after-phase owed has run, before the actor is restarted.
func (a *stageActor) Receive(c actor.Context) {
	ex, ok := c.Message().(*Exchange)
	if !ok {
		return // lifecycle messages
	}
	if a.load != nil {
		defer a.load.Add(-1)
	}
	var failure *StagePanic
	n := len(a.stages) // stages whose Process completed: all, on the way back
	if !ex.returning {
		if ex.Settled() {
			// Nobody waits for it any more: run nothing new, but let the
			// earlier hops' after-phases run for the stages that did.
			ex.itinerary.back(ex)
			return
		}
		var suspended bool
		n, suspended, failure = a.process(ex)
		if suspended {
			// The exchange belongs to its Suspension now; on a panic, the
			// stage's Resume came first and answers it.
			if failure != nil {
				panic(failure)
			}
			return
		}
		if failure == nil && n == len(a.stages) && ex.itinerary.forward(ex) {
			return
		}
	}
	if p := a.after(ex, n); failure == nil {
		failure = p
	}
	ex.itinerary.back(ex)
	if failure != nil {
		panic(failure)
	}
}

// process runs the stages' Process in order and returns how many ran to
// completion without ending the exchange. If one panics, the exchange gets
// a 500 and process returns the panic. suspended reports that the handler
// suspended the exchange (Exchange.Suspend): it is no longer the actor's to
// touch, unless the handler panicked before resuming it, which makes it the
// actor's again (suspended is then false).
func (a *stageActor) process(ex *Exchange) (i int, suspended bool, failure *StagePanic) {
	defer func() {
		if r := recover(); r != nil {
			if s := ex.susp; s != nil && !s.take() {
				suspended, failure = true, a.panicked(ex, i, r, false)
				return
			}
			suspended, ex.running = false, 0
			failure = a.failed(ex, i, r)
		}
	}()
	for ; i < len(a.stages); i++ {
		if ex.preflight != "" && i == len(a.stages)-1 && ex.hop == len(ex.itinerary.hops)-1 {
			// A preflight that no stage answered never reaches the handler.
			ex.Respond(http.StatusNoContent, "", nil)
			ex.Response.Header().Set("Allow", ex.preflight)
			return i, false, nil
		}
		if g := a.hop.gates[i]; g.Down() {
			ex.Fail(g.Err())
			return i, false, nil
		}
		ex.running = i + 1
		err := a.run(ex, i)
		if ex.susp != nil {
			return i, true, nil
		}
		ex.running = 0
		if err != nil {
			ex.Fail(err)
			return i, false, nil
		}
		if ex.Response.Written() {
			return i, false, nil
		}
	}
	return i, false, nil
}

// run runs stage i's Process, timing it if the exchange asks for that.
func (a *stageActor) run(ex *Exchange, i int) error {
	if !ex.timing {
		return a.stages[i].Process(ex)
	}
	start := time.Now()
	err := a.stages[i].Process(ex)
	if ex.susp == nil { // a suspended exchange is no longer this actor's to write to
		ex.addTiming(a.hop.specs[i].Name, time.Since(start))
	}
	return err
}

// after runs the after-phases of the first n stages, innermost first. One
// that panics fails the exchange (500) but does not stop the others; the
// first panic is returned.
func (a *stageActor) after(ex *Exchange, n int) (failure *StagePanic) {
	for i := n - 1; i >= 0; i-- {
		if a.afters[i] == nil {
			continue
		}
		if p := a.runAfter(ex, i); failure == nil {
			failure = p
		}
	}
	return failure
}

func (a *stageActor) runAfter(ex *Exchange, i int) (failure *StagePanic) {
	defer func() {
		if r := recover(); r != nil {
			failure = a.failed(ex, i, r)
		}
	}()
	if ex.timing {
		start := time.Now()
		a.afters[i].After(ex)
		ex.addTiming(a.hop.specs[i].Name, time.Since(start))
		return nil
	}
	a.afters[i].After(ex)
	return nil
}

// failed answers the exchange whose stage i panicked with a 500 and logs
// the panic with its stack. The caller sends the exchange on, then panics
// with the result so that the supervisor decides the actor's fate.
func (a *stageActor) failed(ex *Exchange, i int, r any) *StagePanic {
	return a.panicked(ex, i, r, true)
}

// panicked logs the panic of stage i and, with answer, answers the
// exchange with a 500. Without answer the exchange is not the actor's any
// more: it reads only the request id, which nothing writes after dispatch.
func (a *stageActor) panicked(ex *Exchange, i int, r any, answer bool) *StagePanic {
	p := &StagePanic{Stage: a.hop.specs[i].Name, Value: r, Stack: debug.Stack()}
	a.log.WithOptions(zap.AddStacktrace(zapcore.ErrorLevel)).Error("stage panicked",
		zap.String("failed_stage", p.Stage),
		zap.String("request_id", ex.RequestID),
		zap.String("panic", fmt.Sprint(r)))
	if answer {
		ex.Fail(Errorf(http.StatusInternalServerError, "the request failed in stage %s", p.Stage))
	}
	return p
}
