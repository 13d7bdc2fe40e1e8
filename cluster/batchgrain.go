package cluster

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/troupe-go/troupe/batching"
	"github.com/troupe-go/troupe/cluster/clusterpb"
)

// batchKind is the cluster kind of batcher grains. A grain's identity is
// a batcher's name, "/", and a hash of a batch key (batchGrainID).
const batchKind = "troupe.batcher"

// batchGrain gathers the items of one batch key that every member
// forwards, and runs them in shared batches. It owns a batching.Batcher
// (the core state machine, unchanged, in its actor) made from the batcher
// registered under the same name on this member, so the batch function
// runs here, on the owner, and each member gets its own items' answers.
//
// It stops once it has had nothing to answer for idle; its batcher then
// stops (the host waits for it), and a new activation starts afresh:
// nothing is lost, as a batcher keeps nothing between batches.
type batchGrain struct {
	host *batchHost
	idle time.Duration
	m    *metrics

	b       *batching.Batcher[[]byte, []byte] // made on the first forward
	pending int                               // forwards not answered yet
	last    time.Time                         // of the start or the last forward answered (wall clock)
	timer   *time.Timer                       // sends checkIdle; nil when none is due
}

// batchKind returns the cluster kind of the node's batcher grains.
func (n *Node) batchKind() *cluster.Kind {
	return cluster.NewKind(batchKind, actor.PropsFromProducer(func() actor.Actor {
		return &batchGrain{host: n.batches, idle: n.cfg.GrainIdle, m: n.m}
	}))
}

// forwardDone tells a grain that one of its forwards has been answered.
// It never leaves the member.
type forwardDone struct{}

// Receive gathers forwarded items and answers each forward once its items
// have all been answered.
func (g *batchGrain) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		g.m.activations.Inc()
		g.m.active.Inc()
		g.last = time.Now()
		g.remind(ctx) // even a grain whose every forward is refused stops
	case *actor.Stopped:
		g.m.active.Dec()
		if g.timer != nil {
			g.timer.Stop()
		}
		if g.b != nil {
			g.host.retire(g.b)
		}
	case *clusterpb.BatchForward:
		g.forward(ctx, m)
	case forwardDone:
		g.pending--
		g.last = time.Now()
		g.remind(ctx)
	case checkIdle:
		g.timer = nil
		if g.pending == 0 && time.Since(g.last) >= g.idle {
			ctx.Stop(ctx.Self())
			return
		}
		g.remind(ctx)
	}
}

// forward submits m's items to the grain's batcher; the answer goes to
// the sender once every item has its result.
func (g *batchGrain) forward(ctx actor.Context, m *clusterpb.BatchForward) {
	if g.b == nil {
		b, err := g.host.batcher(m.Batcher)
		if err != nil {
			ctx.Respond(&clusterpb.BatchAnswer{Unavailable: err.Error()})
			return
		}
		g.b = b
	}
	if why := g.host.refusing(); why != "" {
		ctx.Respond(&clusterpb.BatchAnswer{Unavailable: why})
		return
	}
	g.pending++
	root, self, sender := ctx.ActorSystem().Root, ctx.Self(), ctx.Sender()
	gather(g.b, m, func(a *clusterpb.BatchAnswer) {
		if sender != nil {
			root.Send(sender, a)
		}
		root.Send(self, forwardDone{})
	})
}

// remind makes sure a checkIdle is due within idle.
func (g *batchGrain) remind(ctx actor.Context) {
	if g.timer != nil || g.idle <= 0 {
		return
	}
	root, self := ctx.ActorSystem().Root, ctx.Self()
	g.timer = time.AfterFunc(g.idle, func() { root.Send(self, checkIdle{}) })
}

// submitter is the part of a batching.Batcher that gather uses.
type submitter interface {
	SubmitFunc(ctx context.Context, key string, v []byte, done func(batching.Result[[]byte])) error
}

// gather submits every item of m to b, each with a context that ends when
// its caller stops waiting (the time it had left when its member sent it),
// so that b drops it then if its batch has not gone; and calls reply once,
// with one result per item in order, when the last is answered. reply runs
// on b's goroutine or the caller's: it must not block.
func gather(b submitter, m *clusterpb.BatchForward, reply func(*clusterpb.BatchAnswer)) {
	results := make([]*clusterpb.BatchResult, len(m.Items))
	if len(results) == 0 {
		reply(&clusterpb.BatchAnswer{})
		return
	}
	var left atomic.Int64
	left.Store(int64(len(results)))
	finish := func(i int, r batching.Result[[]byte]) {
		results[i] = encodeResult(r)
		if left.Add(-1) == 0 {
			reply(&clusterpb.BatchAnswer{Results: results})
		}
	}
	for i, it := range m.Items {
		ctx, cancel := context.Background(), context.CancelFunc(func() {})
		if it.TimeoutNs > 0 {
			ctx, cancel = context.WithTimeout(context.Background(), time.Duration(it.TimeoutNs))
		}
		err := b.SubmitFunc(ctx, m.Key, it.Payload, func(r batching.Result[[]byte]) {
			cancel()
			finish(i, r)
		})
		if err != nil {
			cancel()
			finish(i, batching.Result[[]byte]{Err: err})
		}
	}
}
