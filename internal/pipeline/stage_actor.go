package pipeline

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
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

// stageActor hosts one instance of a Stateful stage: its state is the
// actor's own, and it runs the stage for one exchange at a time. It runs
// only the stage itself (Process, or on the way back After) and hands the
// exchange straight back to the goroutine that drives it: no other stage,
// and no other request's work, ever runs on the actor.
type stageActor struct {
	hop   *Hop
	stage Stage
	after AfterStage // stage as an AfterStage, or nil
}

func newStageActor(h *Hop) *stageActor {
	st := h.specs[0].New()
	a := &stageActor{hop: h, stage: st}
	a.after, _ = st.(AfterStage)
	return a
}

// Receive implements actor.Actor.
//
// The shape of one visit: run the stage (Process, or After on the way
// back), set how far it got, hand the exchange back, and only then, if the
// stage panicked, panic on so that the supervisor restarts the actor. The
// exchange has been answered 500 before the actor is restarted.
func (a *stageActor) Receive(c actor.Context) {
	ex, ok := c.Message().(*Exchange)
	if !ok {
		return // lifecycle messages
	}
	if ex.trace != nil {
		ex.trace.Received() // its wait for this actor ends
	}
	var failure *StagePanic
	if ex.returning {
		failure = a.runAfter(ex)
	} else {
		ex.completed, failure = a.process(ex)
	}
	ex.wake <- struct{}{} // the exchange is its driver's again: touch it no more
	if failure != nil {
		panic(failure)
	}
}

// process runs the stage's Process and returns 1 if it completed without
// ending the exchange. A panic answers the exchange 500 and is returned.
func (a *stageActor) process(ex *Exchange) (completed int, failure *StagePanic) {
	if ex.settled() {
		return 0, nil // nobody waits for it: run nothing new
	}
	if ex.preflight != "" && ex.hop == len(ex.itinerary.hops)-1 {
		ex.respondPreflight() // a stateful handler: a preflight never reaches it
		return 0, nil
	}
	if g := a.hop.gates[0]; g.Down() {
		ex.Fail(g.Err())
		return 0, nil
	}
	defer func() {
		if r := recover(); r != nil {
			ex.running = 0
			completed, failure = 0, a.hop.reportPanic(ex, 0, r, true)
		}
	}()
	ex.running = 1
	err := a.hop.runWith(ex, 0, a.stage)
	ex.running = 0
	switch {
	case err != nil:
		ex.Fail(err)
		return 0, nil
	case ex.Response.Written():
		return 0, nil
	}
	return 1, nil
}

// runAfter runs the stage's after-phase; a panic fails the exchange (500)
// and is returned.
func (a *stageActor) runAfter(ex *Exchange) (failure *StagePanic) {
	if a.after == nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			failure = a.hop.reportPanic(ex, 0, r, true)
		}
	}()
	if ex.timing {
		start := time.Now()
		a.after.After(ex)
		ex.addTiming(a.hop.specs[0].Name, time.Since(start))
		return nil
	}
	a.after.After(ex)
	return nil
}
