package cluster

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/troupe-go/troupe/cluster/clusterpb"
	"github.com/troupe-go/troupe/cluster/lease"
)

// bucketKind is the cluster kind of bucket grains. A grain's identity is
// a limiter's name, "/", and a key.
const bucketKind = "troupe.bucket"

// bucketGrain owns one cluster-wide token bucket. Its policy comes with
// every request, so it needs no configuration.
//
// It passivates (stops) once its bucket is full again and it has had no
// request for idle: a new activation starts with a full bucket, so
// stopping loses nothing, and keys that come and go (a client address
// each) do not keep a grain each forever.
type bucketGrain struct {
	bucket lease.Bucket
	policy lease.Policy
	now    func() time.Time
	idle   time.Duration
	m      *metrics

	last  time.Time   // of the last request, on the wall clock
	timer *time.Timer // sends checkIdle to the grain; nil when none is due
}

// checkIdle is the grain's reminder to itself to see whether it may stop.
// It never leaves the member.
type checkIdle struct{}

// Receive answers lease requests.
func (g *bucketGrain) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		g.m.activations.Inc()
		g.m.active.Inc()
	case *actor.Stopped:
		g.m.active.Dec()
		if g.timer != nil {
			g.timer.Stop()
		}
	case *clusterpb.LeaseRequest:
		reply := &clusterpb.LeaseReply{}
		if m.IntervalNs >= 1 && m.Burst >= 1 && m.Want >= 0 && m.Returned >= 0 && m.Burst <= (1<<62)/m.IntervalNs {
			g.policy = lease.Policy{Interval: time.Duration(m.IntervalNs), Burst: m.Burst}
			granted, retry := g.bucket.Lease(g.policy, g.now().UnixNano(), m.Want, m.Returned)
			reply.Granted, reply.RetryAfterNs = granted, int64(retry)
		}
		ctx.Respond(reply)
		g.last = time.Now()
		g.remind(ctx)
	case checkIdle:
		g.timer = nil
		full := g.policy.Burst == 0 || g.bucket.Tokens(g.policy, g.now().UnixNano()) >= g.policy.Burst
		if full && time.Since(g.last) >= g.idle {
			ctx.Stop(ctx.Self())
			return
		}
		g.remind(ctx)
	}
}

// remind makes sure a checkIdle is due within idle.
func (g *bucketGrain) remind(ctx actor.Context) {
	if g.timer != nil || g.idle <= 0 {
		return
	}
	root, self := ctx.ActorSystem().Root, ctx.Self()
	g.timer = time.AfterFunc(g.idle, func() { root.Send(self, checkIdle{}) })
}
