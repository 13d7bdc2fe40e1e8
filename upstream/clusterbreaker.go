package upstream

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/troupe-go/troupe/cluster/breakerlease"
	"github.com/troupe-go/troupe/config"
)

// Scopes of an upstream's breaker (BreakerConfig.Scope).
const (
	// ScopeLocal keeps the breaker in this server's upstream actor: each
	// server of several trips on its own counts. The default.
	ScopeLocal = "local"
	// ScopeCluster shares the breaker between the servers of a cluster
	// (package cluster): a grain on one member keeps its state and trips
	// on the counts of every member. Each member admits calls on a lease
	// of that state (no call across the network per request), reports its
	// counts with each renewal, and, while closed, reports at once when it
	// has seen its share (⌈left / members⌉) of the failures still needed
	// to trip. Half-open, one member at a time holds the probes.
	ScopeCluster = "cluster"
)

// What a cluster-scoped breaker does while its grain cannot be reached
// (BreakerConfig.OnClusterLoss).
const (
	// LossOpen lets this server's own breaker decide, on its own counts,
	// until the grain answers again. The default.
	LossOpen = "open"
	// LossClosed refuses every call (503 with Retry-After) until the
	// grain answers again.
	LossClosed = "closed"
)

// Cluster is what a cluster-scoped breaker needs of a cluster: leases of
// cluster-wide breakers. Package cluster's *Node is one.
type Cluster interface {
	Breaker(breakerlease.Config) (*breakerlease.Member, error)
}

// WithCluster gives the upstream the cluster of a breaker of scope
// cluster. Configuration files give the server's own (its cluster
// section).
func WithCluster(c Cluster) Option { return optionFunc(func(u *Upstream) { u.clusterOf = c }) }

// errNoCluster is the error of a breaker of scope cluster without a
// cluster.
var errNoCluster = errors.New("breaker: scope cluster needs a cluster (a cluster section in the configuration)")

// checkScope reports a bad scope or on_cluster_loss.
func (b BreakerConfig) checkScope() error {
	switch {
	case b.Scope != ScopeLocal && b.Scope != ScopeCluster:
		return fmt.Errorf("breaker: scope %q: want local or cluster", b.Scope)
	case b.OnClusterLoss != LossOpen && b.OnClusterLoss != LossClosed:
		return fmt.Errorf("breaker: on_cluster_loss %q: want open or closed", b.OnClusterLoss)
	case b.Disabled && b.Scope == ScopeCluster:
		return errors.New("breaker: scope cluster with the breaker disabled")
	}
	return nil
}

// policy returns b's rule and timing for a cluster-wide breaker.
func (b BreakerConfig) policy() breakerlease.Policy {
	return breakerlease.Policy{
		ConsecutiveFailures: max(b.ConsecutiveFailures, 1),
		FailureRatio:        b.FailureRatio,
		MinimumCalls:        b.MinimumCalls,
		Window:              b.Window,
		Buckets:             max(b.Buckets, 1),
		OpenTimeout:         b.OpenTimeout,
		HalfOpenRequests:    b.HalfOpenRequests,
	}
}

// joinCluster takes this server's lease of the upstream's cluster-wide
// breaker, when its scope is cluster.
func (u *Upstream) joinCluster() error {
	if u.cfg.Breaker.Scope != ScopeCluster {
		return nil
	}
	if u.clusterOf == nil {
		return errNoCluster
	}
	m, err := u.clusterOf.Breaker(breakerlease.Config{Name: u.name, Policy: u.cfg.Breaker.policy(),
		// The state gauge follows what this member learns; the local
		// breaker, which clustered calls skip, stays closed meanwhile.
		OnState: func(s breakerlease.State) { u.m.setState(State(s)) }})
	if err != nil {
		return fmt.Errorf("breaker: %w", err)
	}
	u.cluster = m
	return nil
}

// clusterAdmit asks the cluster-wide breaker, if there is one, for an
// attempt. It returns ok with the ticket to report when the cluster
// admitted it; a refusal, when it refused (or its grain is lost and
// on_cluster_loss is closed); neither when the local breaker decides (no
// cluster scope, or the grain lost and on_cluster_loss open).
func (u *Upstream) clusterAdmit(ctx context.Context) (t clusterTicket, refusal *admission) {
	if u.cluster == nil {
		return clusterTicket{}, nil
	}
	d := u.cluster.Admit(ctx)
	switch {
	case d.Allowed:
		return clusterTicket{ok: true, ticket: d.Ticket, closed: d.State == breakerlease.Closed}, nil
	case d.Lost && u.cfg.Breaker.OnClusterLoss == LossOpen:
		return clusterTicket{}, nil
	}
	reason := rejectOpen
	if d.State == breakerlease.HalfOpen {
		reason = rejectHalfOpen
	}
	u.m.rejects[reason].Inc()
	return clusterTicket{}, &admission{reject: reason, retryAfter: max(d.RetryAfter, breakerMinRetryAfter)}
}

// clusterDone reports an attempt the cluster admitted.
func (u *Upstream) clusterDone(t clusterTicket, o outcome) {
	if !t.ok {
		return
	}
	switch o {
	case success:
		u.cluster.Done(t.ticket, breakerlease.Success)
	case failure:
		u.cluster.Done(t.ticket, breakerlease.Failure)
	default:
		u.cluster.Done(t.ticket, breakerlease.Neutral)
	}
}

// breakerMinRetryAfter is the least Retry-After of a refusal: at the very
// end of a wait, there is still a little of it.
const breakerMinRetryAfter = time.Millisecond

// clusterTicket is an attempt a cluster-wide breaker admitted.
type clusterTicket struct {
	ok     bool // admitted by the cluster: report it
	ticket breakerlease.Ticket
	closed bool // the breaker was closed: a retry may go
}

// clusterBlock is the configuration's top-level block that package
// cluster registers: the cluster of breakers of scope cluster.
const clusterBlock = "cluster"

// clusterOptions returns the Options that give an upstream configured from
// opts, with breaker b, the server's cluster when b's scope is cluster. A
// bad scope or on_cluster_loss, or scope cluster without a cluster
// section, is an error at the line of its key; b is then made local, so
// that the upstream's other errors are still found, and not this one
// twice.
func clusterOptions(opts config.Options, name string, b *BreakerConfig) ([]Option, error) {
	scope, loss := cmp.Or(b.Scope, ScopeLocal), cmp.Or(b.OnClusterLoss, LossOpen)
	var err error
	switch {
	case scope != ScopeLocal && scope != ScopeCluster:
		err = opts.KeyErrorf("breaker.scope", "upstream %q: breaker: scope %q: want local or cluster", name, scope)
	case loss != LossOpen && loss != LossClosed:
		err = opts.KeyErrorf("breaker.on_cluster_loss", "upstream %q: breaker: on_cluster_loss %q: want open or closed", name, loss)
	case scope != ScopeCluster:
		return nil, nil
	}
	v, _ := opts.Block(clusterBlock)
	c, ok := v.(Cluster)
	if err == nil && !ok {
		err = opts.KeyErrorf("breaker.scope", "upstream %q: %v", name, errNoCluster)
	}
	if err != nil {
		b.Scope, b.OnClusterLoss = ScopeLocal, LossOpen
		return nil, err
	}
	return []Option{WithCluster(c)}, nil
}

// clusterStatus puts the cluster-wide breaker's state, as this server last
// learnt it, in s, unless the grain is lost and the local breaker decides.
func (u *Upstream) clusterStatus(s *Status) {
	if u.cluster == nil {
		return
	}
	v := u.cluster.View()
	if v.Lost && u.cfg.Breaker.OnClusterLoss == LossOpen {
		return
	}
	s.State, s.OpenFor = State(v.State), v.OpenFor
	if v.Lost {
		s.State = Open // on_cluster_loss closed: every call is refused
	}
	s.StateName = s.State.String()
}
