package batching

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
)

// The actor's messages, besides *entry (an item submitted) and *batch (a
// batch whose BatchFunc returned).
type (
	// cancelMsg: the item's caller has gone; take it out if still queued.
	cancelMsg[In, Out any] struct{ e *entry[In, Out] }
	// tickMsg: the delay timer of generation gen fired.
	tickMsg struct{ gen uint64 }
	// stopMsg: stop taking items and drain (Stop).
	stopMsg struct{}
	// hurryMsg: send everything at once from now on (Drain).
	hurryMsg struct{}
	// abortMsg: Stop ran out of time; answer what waits, end the batches.
	abortMsg struct{}
	// exitMsg: every item is answered and no sender is left: stop the actor.
	exitMsg struct{}
)

// receiver is the Batcher seen as a Proto.Actor actor. The producer
// returns the batcher itself, so the state lives as long as the batcher
// does, whatever Proto.Actor does with the actor.
type receiver[In, Out any] Batcher[In, Out]

// Receive implements actor.Actor. It handles one message, then lets the
// core send what is ready and arms the delay timer. Nothing here blocks:
// batches run on goroutines of their own and answers go through channels
// of size one.
func (r *receiver[In, Out]) Receive(c actor.Context) {
	b := (*Batcher[In, Out])(r)
	defer func() {
		if v := recover(); v != nil {
			b.restart(v, c.Message())
		}
	}()
	switch m := c.Message().(type) {
	case *entry[In, Out]:
		if why, err := b.core.submit(b.cfg.Clock.Now(), m); err != nil {
			m.state = entryAnswered
			b.deliver(m, Result[Out]{Err: err})
			b.m.rejections[why].Inc()
			return
		}
	case cancelMsg[In, Out]:
		b.core.cancel(m.e)
		if e := m.e; e.notify != nil && !e.notified && e.state != entryNew {
			// In a batch already: SubmitFunc's caller hears now, as
			// SubmitKey's does, and the batch's answer will be dropped.
			// (An entry not seen yet is left alone: SubmitFunc may still
			// be setting it up; it is dropped when it would be sent.)
			e.early = true
			b.notify(e, Result[Out]{Err: e.ctx.Err()})
		}
	case *batch[In, Out]:
		delete(b.running, m)
		b.m.duration.Observe(m.took.Seconds())
		if m.failed {
			b.m.failures[m.failure].Inc()
		}
		b.core.done(m, m.results)
	case tickMsg:
		if m.gen == b.timer.gen {
			b.timer.t = nil
		}
	case stopMsg:
		b.core.stop()
	case hurryMsg:
		b.core.hurry()
	case abortMsg:
		b.core.abort(b.rej.stopped)
		for bt := range b.running {
			bt.cancel()
		}
	case exitMsg:
		c.Stop(c.Self())
		return
	default:
		return // lifecycle messages
	}
	b.settle()
}

// restart recovers the actor from a panic (a bug in the batcher) in
// handling msg: the item msg brought, if it was not queued yet, and the
// queue it held are dropped, every item answered ErrFailed (503 with
// Retry-After), and the failure counted by the app's supervision as a
// restart, which a crash loop turns into a closed gate (Health). Batches
// already running finish and are answered as usual: their accounting is
// kept.
func (b *Batcher[In, Out]) restart(v any, msg any) {
	b.log.Error("batcher actor panicked; its queue is dropped and answered", zap.String("panic", fmt.Sprint(v)), zap.Stack("stack"))
	b.m.restarts.Inc()
	if h := b.health; h != nil {
		h.Failed()
	}
	defer func() {
		if v := recover(); v != nil { // the core itself is broken: nothing more to save
			b.log.Error("batcher could not drop its queue", zap.String("panic", fmt.Sprint(v)))
		}
	}()
	if e, ok := msg.(*entry[In, Out]); ok && e.state == entryNew {
		// The item being taken in when the panic came: not queued yet.
		e.state = entryAnswered
		b.deliver(e, Result[Out]{Err: b.rej.failed})
		b.m.drops[dropFailed].Inc()
	}
	b.core.dropWaiting(dropFailed, b.rej.failed)
	b.settle()
}

// settle sends what is ready, arms the timer for the next delay, updates
// the gauges, and signals Stop once everything is answered.
func (b *Batcher[In, Out]) settle() {
	now := b.cfg.Clock.Now()
	b.arm(now, b.core.poll(now))
	b.m.queued.Set(float64(b.core.queuedItems()))
	b.m.inFlight.Set(float64(b.core.inFlightBatches()))
	if !b.finished && b.core.finished() {
		b.finished = true
		if b.timer.t != nil {
			b.timer.t.Stop()
			b.timer.t = nil
		}
		close(b.done)
	}
}

// arm makes sure a tick comes no later than next (zero: none needed). A
// pending timer that fires no later is kept; an early tick is harmless,
// the core just says when to come back.
func (b *Batcher[In, Out]) arm(now, next time.Time) {
	if next.IsZero() || b.timer.t != nil && !b.timer.at.After(next) {
		return
	}
	if b.timer.t != nil {
		b.timer.t.Stop()
	}
	b.timer.gen++
	gen := b.timer.gen
	b.timer.at = next
	b.timer.t = b.cfg.Clock.AfterFunc(next.Sub(now), func() { b.send(tickMsg{gen: gen}) })
}

// actorSink is the Batcher as the core's sink: it runs on the actor.
type actorSink[In, Out any] Batcher[In, Out]

func (s *actorSink[In, Out]) start(bt *batch[In, Out]) { (*Batcher[In, Out])(s).start(bt) }

func (s *actorSink[In, Out]) answer(e *entry[In, Out], r Result[Out]) {
	(*Batcher[In, Out])(s).deliver(e, r)
}

func (s *actorSink[In, Out]) drop(e *entry[In, Out], why dropReason, err error) {
	s.m.drops[why].Inc()
	(*Batcher[In, Out])(s).deliver(e, Result[Out]{Err: err})
}

// deliver hands r to e's caller. The reply channel has room for the one
// answer an item gets; a second would be a bug, logged rather than left
// to block the actor.
func (b *Batcher[In, Out]) deliver(e *entry[In, Out], r Result[Out]) {
	if e.notify != nil {
		b.notify(e, r)
		return
	}
	select {
	case e.reply <- r:
	default:
		b.log.Error("batching: an item was answered twice; the second answer is dropped", zap.Error(r.Err))
	}
}

// notify calls e's SubmitFunc callback with r, once. A callback that
// panics is logged: it must not keep the rest of its batch unanswered.
func (b *Batcher[In, Out]) notify(e *entry[In, Out], r Result[Out]) {
	if e.notified {
		if e.early {
			return // answered when its caller went: this is its batch's answer
		}
		b.log.Error("batching: an item was answered twice; the second answer is dropped", zap.Error(r.Err))
		return
	}
	e.notified = true
	e.unwatch()
	defer func() {
		if v := recover(); v != nil {
			b.log.Error("batching: a SubmitFunc callback panicked", zap.String("panic", fmt.Sprint(v)), zap.Stack("stack"))
		}
	}()
	e.notify(r)
}
