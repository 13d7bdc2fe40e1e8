package batching

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/supervisor"
	"go.uber.org/zap"
)

// Batcher gathers items submitted one at a time into batches for a
// BatchFunc and answers each caller with its own result. See the package
// documentation for when batches go.
//
// A Batcher is a troupe.Component: add it to the app (app.Add, or
// config.Options.Add from a configuration kind), which starts it before
// serving and stops it after draining. From Go alone:
//
//	sys := actors.NewSystem(log)
//	b, err := batching.New(batching.Config{MaxBatchSize: 64, MaxInFlight: 4}, score)
//	if err != nil { … }
//	if err := b.Start(sys); err != nil { … }
//	defer sys.Shutdown()
//	defer b.Stop(context.Background()) // answers every item it accepted
//	out, err := b.Submit(ctx, in)       // safe from many goroutines
//
// Its methods are safe for concurrent use. Start spawns one actor, which
// owns the queue; Stop waits for it and for the batch goroutines.
type Batcher[In, Out any] struct {
	cfg Config
	fn  BatchFunc[In, Out]
	fwd Forwarder // scope cluster: this member's way to the grains; nil for local
	rej rejections
	m   *metrics

	// Set by Start, read-only after.
	root   *actor.RootContext
	pid    *actor.PID
	log    *zap.Logger
	health *supervisor.Health // from Supervise, or nil

	// The gate in front of the actor: see send.
	life      atomic.Int32
	senders   atomic.Int64
	quiet     chan struct{} // closed by the last sender to leave once life is lifeExited
	quietOnce sync.Once

	// Owned by the actor (see actor.go).
	core     *core[In, Out]
	running  map[*batch[In, Out]]struct{}
	timer    timerState
	finished bool

	done      chan struct{} // closed by the actor once stopping and every accepted item is answered
	stopOnce  sync.Once
	abortOnce sync.Once
	exitOnce  sync.Once
	leaveOnce sync.Once
	batches   sync.WaitGroup // the goroutines running batches
}

// The life of a Batcher, in Batcher.life.
const (
	lifeNew       int32 = iota // made, not started: Submit fails with ErrNotStarted
	lifeRunning                // taking items
	lifeStopping               // Stop was called: items refused, the queue drains
	lifeExited                 // the actor has been told to stop: nothing more is sent to it
	lifeUnstarted              // stopped before Start: there is no actor, and never will be
)

// New returns a batcher running fn on batches as cfg says, or an error if
// cfg is invalid. It does nothing until Start.
func New[In, Out any](cfg Config, fn BatchFunc[In, Out]) (*Batcher[In, Out], error) {
	if fn == nil {
		return nil, errors.New("batching: New needs a batch function")
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("batching: batcher %q: %w", cfg.Name, err)
	}
	fn, fwd, err := joinCluster(cfg, c, fn)
	if err != nil {
		return nil, fmt.Errorf("batching: batcher %q: %w", c.Name, err)
	}
	if fwd != nil {
		c = c.forwarding()
	}
	b := &Batcher[In, Out]{cfg: c, fn: fn, fwd: fwd, rej: newRejections(c), m: newMetrics(c.Name), done: make(chan struct{}), quiet: make(chan struct{})}
	b.core = newCore[In, Out](c, (*actorSink[In, Out])(b))
	b.running = map[*batch[In, Out]]struct{}{}
	return b, nil
}

// Name returns the batcher's name (Config.Name, or its default).
func (b *Batcher[In, Out]) Name() string { return b.cfg.Name }

// Capacity returns the most items the batcher holds at once: waiting
// (Config.MaxQueue) and in full batches in flight. Handler sizes its pool
// of waiting actors with it.
func (b *Batcher[In, Out]) Capacity() int { return b.cfg.capacity() }

// Start spawns the batcher's actor in sys. It implements
// troupe.Component; a batcher starts once.
func (b *Batcher[In, Out]) Start(sys *actors.System) error {
	if b.life.Load() != lifeNew {
		return fmt.Errorf("batching: batcher %q started twice, or after Stop", b.cfg.Name)
	}
	b.root = pipeline.Root(sys)
	b.log = b.cfg.Logger
	if b.log == nil {
		b.log = sys.Logger()
	}
	b.log = b.log.With(zap.String("batcher", b.cfg.Name))
	// The synchronized dispatcher runs the actor on its senders'
	// goroutines: its work per message is short and never blocks, and a
	// goroutine hand-off per message would cost more than the work (see
	// docs/ARCHITECTURE.md). Batches run on goroutines of their own.
	props := actor.PropsFromProducer(func() actor.Actor { return (*receiver[In, Out])(b) },
		actor.WithDispatcher(actor.NewSynchronizedDispatcher(300)))
	b.pid = b.root.SpawnPrefix(props, "batcher-")
	if !b.life.CompareAndSwap(lifeNew, lifeRunning) {
		b.root.Stop(b.pid) // Stop ran meanwhile
		return fmt.Errorf("batching: batcher %q stopped while starting", b.cfg.Name)
	}
	return nil
}

// Submit submits v under the batch key "" and waits for its result: see
// SubmitKey.
func (b *Batcher[In, Out]) Submit(ctx context.Context, v In) (Out, error) {
	return b.SubmitKey(ctx, "", v)
}

// SubmitKey submits v under key and waits for its batch to answer it.
// Items of different keys never share a batch. It returns v's result or
// error from the BatchFunc; or, at once, ErrQueueFull, ErrKeyQueueFull,
// ErrStopped or ErrNotStarted (wrapped in an *actors.Error with the
// status to answer); or ctx's error as soon as ctx ends, taking v out of
// the queue if it has not been sent yet.
func (b *Batcher[In, Out]) SubmitKey(ctx context.Context, key string, v In) (Out, error) {
	var zero Out
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	e := &entry[In, Out]{ctx: ctx, key: key, value: v, reply: make(chan Result[Out], 1)}
	if d, ok := ctx.Deadline(); ok {
		e.deadline = d
	}
	if err := b.sendItem(e); err != nil {
		return zero, err
	}
	select {
	case r := <-e.reply:
		return r.Value, callersReason(ctx, r.Err)
	case <-ctx.Done():
	}
	select {
	case r := <-e.reply: // answered meanwhile: the answer wins
		return r.Value, callersReason(ctx, r.Err)
	default:
	}
	b.send(cancelMsg[In, Out]{e})
	return zero, ctx.Err()
}

// callersReason returns err, unless it is a context's error and the
// caller's own context has ended: then the caller's reason. A batch's
// context ends (Canceled) when all its callers are gone; a caller whose
// deadline passed must hear DeadlineExceeded (504), not Canceled (503).
func callersReason(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return ctx.Err()
	}
	return err
}

// SubmitFunc submits v under key, as SubmitKey does, without waiting:
// done gets what SubmitKey would return, exactly once — the BatchFunc's
// result or error, a full queue's rejection, or ctx's error as soon as
// ctx ends (taking v out of the queue if it has not been sent; if it
// has, its batch's answer is dropped). If SubmitFunc itself returns an
// error (ctx has ended already, or the batcher is not running:
// ErrStopped or ErrNotStarted), done is never called.
//
// done runs on the batcher's own goroutine, between its other work: it
// must be quick and must not block or call the batcher back and wait.
// It is for callers that park their request and want no goroutine to wait
// for it, such as Handler, which suspends its exchange until done.
func (b *Batcher[In, Out]) SubmitFunc(ctx context.Context, key string, v In, done func(Result[Out])) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e := &entry[In, Out]{ctx: ctx, key: key, value: v, notify: done}
	if d, ok := ctx.Deadline(); ok {
		e.deadline = d
	}
	// The watch is set before the actor can see e, so that the actor may
	// stop it. If ctx ends before the actor has queued e, the cancel
	// finds nothing to take out, and e is dropped when it would be sent
	// (core.dead): at most MaxDelay later.
	e.unwatch = context.AfterFunc(ctx, func() { b.send(cancelMsg[In, Out]{e}) })
	if err := b.sendItem(e); err != nil {
		e.unwatch()
		return err
	}
	return nil
}

// sendItem sends e to the actor, or returns why it cannot take items.
func (b *Batcher[In, Out]) sendItem(e *entry[In, Out]) error {
	b.senders.Add(1)
	defer b.leave()
	switch b.life.Load() {
	case lifeRunning:
		if h := b.health; h != nil && h.Down() {
			return h.Gate().Err()
		}
		b.root.Send(b.pid, e)
		return nil
	case lifeNew:
		return b.rej.notStarted
	}
	b.m.rejections[rejectStopped].Inc()
	return b.rej.stopped
}

// leave ends a sender's turn at the gate (see send); the last one out after
// the gate has closed lets Stop go on.
func (b *Batcher[In, Out]) leave() {
	if b.senders.Add(-1) == 0 && b.life.Load() == lifeExited {
		b.quietOnce.Do(func() { close(b.quiet) })
	}
}

// send sends m to the actor unless it has been told to exit, and reports
// whether it did. With exit (in Stop), it makes a gate: a sender
// announces itself in senders before it looks at life, and exit sets life
// before it waits for senders to drop to zero, so no message can reach the
// actor after exitMsg (where it would be lost to dead letters and its
// sender left waiting).
func (b *Batcher[In, Out]) send(m any) bool {
	b.senders.Add(1)
	defer b.leave()
	if l := b.life.Load(); l != lifeRunning && l != lifeStopping {
		return false
	}
	b.root.Send(b.pid, m)
	return true
}

// Stop stops taking items (Submit fails with ErrStopped), sends every
// item waiting without waiting for MaxDelay, waits until every batch in
// flight has finished and every item accepted has been answered, then
// stops the actor. It implements troupe.Component, and is safe to call
// twice and before Start.
//
// If ctx ends first, the items still waiting are answered ErrStopped, the
// contexts of the batches in flight end, and Stop returns ctx's error
// without waiting for those batches (their callers are answered when they
// return); a later Stop waits for them again.
func (b *Batcher[In, Out]) Stop(ctx context.Context) error {
	if b.life.CompareAndSwap(lifeNew, lifeUnstarted) || b.life.Load() == lifeUnstarted {
		b.leaveCluster()
		return nil
	}
	b.stopOnce.Do(func() {
		b.life.CompareAndSwap(lifeRunning, lifeStopping)
		b.send(stopMsg{})
	})
	select {
	case <-b.done:
	case <-ctx.Done():
		b.abortOnce.Do(func() { b.send(abortMsg{}) })
		return ctx.Err()
	}
	b.exitOnce.Do(func() {
		b.life.Store(lifeExited)
		if b.senders.Load() != 0 {
			<-b.quiet // a sender between its check and its send: it leaves within nanoseconds
		}
		b.root.Send(b.pid, exitMsg{})
	})
	b.batches.Wait()
	b.leaveCluster()
	return nil
}

// leaveCluster unregisters a batcher of scope cluster from its cluster,
// once.
func (b *Batcher[In, Out]) leaveCluster() {
	if b.fwd != nil {
		b.leaveOnce.Do(b.fwd.Leave)
	}
}

// Supervise puts the batcher under h, the health the app's supervision
// tree keeps for it: each failure of its actor (a panic, after which its
// queue is dropped and every item in it answered ErrFailed) counts as a
// restart, and a crash loop marks it down, on /metrics and /readyz, and
// refuses items at once (503 with Retry-After) until the back-off ends.
// The app calls it before Start (troupe.Supervised).
func (b *Batcher[In, Out]) Supervise(h *supervisor.Health) { b.health = h }

// Drain makes the batcher send every item it holds at once, and every item
// submitted later as soon as a slot is free, without waiting for batches
// to fill or MaxDelay to pass; it still takes items. The app calls it
// (troupe.Drainer) as shutdown begins, so that requests waiting on their
// batch are answered while the listener drains, instead of waiting out
// MaxDelay. Safe to call at any time, and more than once.
func (b *Batcher[In, Out]) Drain() { b.send(hurryMsg{}) }

// Describe implements prometheus.Collector.
func (b *Batcher[In, Out]) Describe(ch chan<- *prometheus.Desc) { b.m.describe(ch) }

// Collect implements prometheus.Collector.
func (b *Batcher[In, Out]) Collect(ch chan<- prometheus.Metric) { b.m.collect(ch) }

var _ prometheus.Collector = (*Batcher[int, int])(nil)

// timerState is the actor's one delay timer.
type timerState struct {
	t   interface{ Stop() bool } // pending, or nil
	at  time.Time                // when t fires
	gen uint64                   // of t; a tick from an older timer is ignored
}
