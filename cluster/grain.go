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
type bucketGrain struct {
	bucket lease.Bucket
	now    func() time.Time
	m      *metrics
}

// Receive answers lease requests.
func (g *bucketGrain) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		g.m.activations.Inc()
		g.m.active.Inc()
	case *actor.Stopped:
		g.m.active.Dec()
	case *clusterpb.LeaseRequest:
		reply := &clusterpb.LeaseReply{}
		if m.IntervalNs >= 1 && m.Burst >= 1 && m.Want >= 0 && m.Returned >= 0 && m.Burst <= (1<<62)/m.IntervalNs {
			p := lease.Policy{Interval: time.Duration(m.IntervalNs), Burst: m.Burst}
			granted, retry := g.bucket.Lease(p, g.now().UnixNano(), m.Want, m.Returned)
			reply.Granted, reply.RetryAfterNs = granted, int64(retry)
		}
		ctx.Respond(reply)
	}
}
