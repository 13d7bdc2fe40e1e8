package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/cluster"
	"github.com/troupe-go/troupe/cluster/breakerlease"
	"github.com/troupe-go/troupe/cluster/clusterpb"
)

// Breaker returns this member's lease of the cluster-wide circuit breaker
// cfg.Name, with cfg's Policy: the node fills in the transport (calls to
// breaker grains), the member count, the lease period (Config.LeaseTTL),
// the timeout, the clock and the metrics. The node closes it on Stop.
func (n *Node) Breaker(cfg breakerlease.Config) (*breakerlease.Member, error) {
	cfg.Transport = breakerTransport{n}
	cfg.Members = n.Members
	cfg.Lease = n.cfg.LeaseTTL
	cfg.Timeout = n.cfg.RequestTimeout
	cfg.Now = n.cfg.Now
	cfg.Observer = n.m.breakers
	b, err := breakerlease.New(cfg)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped {
		b.Close()
	} else {
		n.breakers = append(n.breakers, b)
	}
	return b, nil
}

// breakerTransport calls breaker grains for a breakerlease.Member.
type breakerTransport struct{ n *Node }

// Renew reports counts to the grain id and returns its lease, bounded by
// ctx's deadline.
func (t breakerTransport) Renew(ctx context.Context, id string, p breakerlease.Policy, lease time.Duration, r breakerlease.Report) (breakerlease.Grant, error) {
	c := t.n.running.Load()
	if c == nil {
		return breakerlease.Grant{}, errNotRunning
	}
	timeout := t.n.cfg.RequestTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if timeout <= 0 {
		return breakerlease.Grant{}, context.DeadlineExceeded
	}
	start := time.Now()
	res, err := c.Request(id, breakerKind, &clusterpb.BreakerRenewal{
		Policy: policyPB(p), LeaseNs: int64(lease), Member: r.Member, Generation: r.Generation,
		Successes: r.Successes, Failures: r.Failures, Trailing: r.Trailing, Members: int32(min(r.Members, 1<<30)), //nolint:gosec // bounded
	}, cluster.WithTimeout(timeout), cluster.WithRetryCount(3), cluster.WithRetryAction(retryPause))
	reply, ok := res.(*clusterpb.BreakerLease)
	switch {
	case err != nil:
	case !ok:
		err = fmt.Errorf("cluster: grain %s answered %T", id, res)
	case reply.Invalid:
		err = errors.New("cluster: breaker grain " + id + " found the policy invalid")
	}
	t.n.called(start, err)
	if err != nil {
		return breakerlease.Grant{}, err
	}
	return breakerlease.Grant{
		State:      breakerlease.State(reply.State),
		Generation: reply.Generation,
		OpenFor:    time.Duration(reply.OpenForNs),
		Failures:   reply.Failures,
		Probes:     reply.Probes,
	}, nil
}

// called records a call to a grain that started at start: its time on
// troupe_cluster_remote_call_seconds, and whether the cluster answered
// (troupe_cluster_up).
func (n *Node) called(start time.Time, err error) {
	result := "ok"
	if err != nil {
		result = "error"
		n.lostAt.Store(time.Now().UnixNano())
	} else {
		n.lostAt.Store(0)
	}
	n.m.calls.WithLabelValues(result).Observe(time.Since(start).Seconds())
}
