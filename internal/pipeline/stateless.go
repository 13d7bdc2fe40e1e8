package pipeline

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// process runs the Process of the stateless hop's stages in order, on the
// calling goroutine (the request's), and returns how many completed
// without ending the exchange. A stage that panics answers the exchange
// 500; the panic is logged and reported to the hop's supervising actor.
func (h *Hop) process(ex *Exchange) (i int) {
	defer func() {
		if r := recover(); r != nil {
			if l := h.limits[i]; l != nil && ex.running != 0 {
				l.abort(ex)
			}
			ex.running = 0
			h.reportPanic(ex, i, r, true)
		}
	}()
	last := ex.hop == len(ex.itinerary.hops)-1
	for ; i < len(h.specs); i++ {
		if ex.preflight != "" && last && i == len(h.specs)-1 {
			ex.respondPreflight()
			return i
		}
		if g := h.gates[i]; g.Down() {
			ex.Fail(g.Err())
			return i
		}
		if l := h.limits[i]; l != nil {
			if err := l.acquireTraced(ex, h.specs[i].Name); err != nil {
				if err != errGone {
					ex.Fail(err)
				}
				return i
			}
		}
		ex.running = i + 1
		err := h.run(ex, i)
		ex.running = 0
		if l := h.limits[i]; l != nil {
			l.release(ex)
		}
		if err != nil {
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
func (h *Hop) run(ex *Exchange, i int) error { return h.runWith(ex, i, h.specs[i].Stage) }

// runWith runs st, stage i's instance, as run does.
func (h *Hop) runWith(ex *Exchange, i int, st Stage) error {
	if !ex.timing {
		return st.Process(ex)
	}
	start := time.Now()
	err := st.Process(ex)
	ex.addTiming(h.specs[i].Name, time.Since(start))
	return err
}

// after runs the after-phases of the hop's first n stages, innermost
// first, on the calling goroutine. One that panics fails the exchange
// (500) and is reported, but the others still run.
func (h *Hop) after(ex *Exchange, n int) {
	for i := n - 1; i >= 0; i-- {
		if a, ok := h.specs[i].Stage.(AfterStage); ok {
			h.runAfter(ex, i, a)
		}
	}
}

func (h *Hop) runAfter(ex *Exchange, i int, a AfterStage) {
	defer func() {
		if r := recover(); r != nil {
			h.reportPanic(ex, i, r, true)
		}
	}()
	if ex.timing {
		start := time.Now()
		a.After(ex)
		ex.addTiming(h.specs[i].Name, time.Since(start))
		return
	}
	a.After(ex)
}

// reportPanic logs the panic of stage i with its stack, answers the
// exchange 500 (with answer) and, for a stateless hop, tells the hop's
// supervising actor, whose supervisor counts it towards the stage's crash
// loop. (A Stateful hop's actor panics on by itself, once it has handed the
// exchange back.)
func (h *Hop) reportPanic(ex *Exchange, i int, r any, answer bool) *StagePanic {
	p := &StagePanic{Stage: h.specs[i].Name, Value: r, Stack: debug.Stack()}
	h.log.WithOptions(zap.AddStacktrace(zapcore.ErrorLevel)).Error("stage panicked", ex.logFields(
		zap.String("failed_stage", p.Stage),
		zap.String("request_id", ex.RequestID),
		zap.String("panic", fmt.Sprint(r)))...)
	if ex.trace != nil {
		ex.trace.Panicked(p.Stage, r)
	}
	if answer {
		ex.Fail(Errorf(http.StatusInternalServerError, "the request failed in stage %s", p.Stage)) // logged above
	}
	if h.kind != Stateful && h.sentinel != nil {
		h.root.Send(h.sentinel, p)
	}
	return p
}
