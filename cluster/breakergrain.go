package cluster

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/troupe-go/troupe/cluster/breakerlease"
	"github.com/troupe-go/troupe/cluster/clusterpb"
)

// breakerKind is the cluster kind of breaker grains. A grain's identity is
// the breaker's name: an upstream's.
const breakerKind = "troupe.breaker"

// breakerGrain owns one cluster-wide circuit breaker: every member's
// renewals come to it, with their counts. The policy comes with every
// renewal, so it needs no configuration.
//
// It passivates (stops) once closed and idle for idle: a new activation
// starts closed with no counts, which loses at most a window's counts
// short of a trip. An open or half-open breaker's grain stays.
type breakerGrain struct {
	breaker breakerlease.Breaker
	policy  breakerlease.Policy
	now     func() time.Time
	idle    time.Duration
	m       *breakerMetrics
	name    string // the grain's identity: the breaker's name

	last  time.Time   // of the last renewal, on the wall clock
	timer *time.Timer // sends checkIdle to the grain; nil when none is due
}

// Receive answers renewals.
func (g *breakerGrain) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		g.m.grains.Inc()
	case *cluster.ClusterInit:
		g.name = m.Identity.GetIdentity()
	case *actor.Stopped:
		g.m.grains.Dec()
		if g.timer != nil {
			g.timer.Stop()
		}
	case *clusterpb.BreakerRenewal:
		ctx.Respond(g.renew(m))
		g.last = time.Now()
		g.remind(ctx)
	case checkIdle:
		g.timer = nil
		closed := g.policy.Buckets == 0 || g.breaker.State(g.policy, g.now().UnixNano()) == breakerlease.Closed
		if closed && time.Since(g.last) >= g.idle {
			ctx.Stop(ctx.Self())
			return
		}
		g.remind(ctx)
	}
}

// renew takes one member's renewal and returns its lease.
func (g *breakerGrain) renew(m *clusterpb.BreakerRenewal) *clusterpb.BreakerLease {
	p := policyOf(m.GetPolicy())
	if p.Check() != nil || m.LeaseNs < 1 {
		return &clusterpb.BreakerLease{Invalid: true}
	}
	g.policy = p
	now := g.now().UnixNano()
	before := g.breaker.State(p, now)
	grant := g.breaker.Renew(p, now, time.Duration(m.LeaseNs), breakerlease.Report{
		Member: m.Member, Generation: m.Generation, Successes: m.Successes, Failures: m.Failures,
		Trailing: m.Trailing, Members: int(m.Members),
	})
	if grant.State != before {
		g.m.changed(g.name, grant.State)
	}
	return &clusterpb.BreakerLease{
		State:      clusterpb.BreakerLease_BreakerState(grant.State),
		Generation: grant.Generation,
		OpenForNs:  int64(grant.OpenFor),
		Failures:   grant.Failures,
		Probes:     grant.Probes,
	}
}

// remind makes sure a checkIdle is due within idle.
func (g *breakerGrain) remind(ctx actor.Context) {
	if g.timer != nil || g.idle <= 0 {
		return
	}
	root, self := ctx.ActorSystem().Root, ctx.Self()
	g.timer = time.AfterFunc(g.idle, func() { root.Send(self, checkIdle{}) })
}

// policyOf converts a policy off the wire.
func policyOf(p *clusterpb.BreakerPolicy) breakerlease.Policy {
	return breakerlease.Policy{
		ConsecutiveFailures: p.GetConsecutiveFailures(),
		FailureRatio:        p.GetFailureRatio(),
		MinimumCalls:        p.GetMinimumCalls(),
		Window:              time.Duration(p.GetWindowNs()),
		Buckets:             int(p.GetBuckets()),
		OpenTimeout:         time.Duration(p.GetOpenTimeoutNs()),
		HalfOpenRequests:    p.GetHalfOpenRequests(),
	}
}

// policyPB converts a policy for the wire.
func policyPB(p breakerlease.Policy) *clusterpb.BreakerPolicy {
	return &clusterpb.BreakerPolicy{
		ConsecutiveFailures: p.ConsecutiveFailures,
		FailureRatio:        p.FailureRatio,
		MinimumCalls:        p.MinimumCalls,
		WindowNs:            int64(p.Window),
		Buckets:             int32(p.Buckets), //nolint:gosec // checked: at most the window in nanoseconds, and configured
		OpenTimeoutNs:       int64(p.OpenTimeout),
		HalfOpenRequests:    p.HalfOpenRequests,
	}
}

// breakerGrainKind returns the cluster kind of breaker grains, for Start.
func (n *Node) breakerGrainKind() *cluster.Kind {
	return cluster.NewKind(breakerKind, actor.PropsFromProducer(func() actor.Actor {
		return &breakerGrain{now: n.cfg.Now, idle: n.cfg.GrainIdle, m: n.m.breakers}
	}))
}
