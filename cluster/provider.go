package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/automanaged"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/etcd"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// InMem is where the members of one process meet (provider "inmem"): an
// in-memory registry of members, with no network but the members' own
// loopback connections. It is safe for concurrent use.
type InMem struct {
	agent *test.InMemAgent
}

// NewInMem returns an empty meeting place.
func NewInMem() *InMem { return &InMem{agent: test.NewInMemAgent()} }

// automanagedRefresh is how often an automanaged member polls the others'
// health endpoints, and so about how soon it sees one leave.
const automanagedRefresh = 2 * time.Second

// automanagedPollTimeout is how long an automanaged poll of one member's
// health endpoint may take (Proto.Actor's fixed HTTP client timeout): a
// poll of all members takes at most this long.
const automanagedPollTimeout = 2 * time.Second

// leaveGrace is how long an automanaged member that leaves waits, its
// health endpoint closed, before its grains stop: every other member's
// next poll starts within automanagedRefresh plus one poll, and fails on
// the closed port; a call routed here just before it has requestTimeout
// to be answered.
func leaveGrace(requestTimeout time.Duration) time.Duration {
	return automanagedRefresh + automanagedPollTimeout + requestTimeout
}

// leaveFirst makes an automanaged member leave the others' topology before
// its grains stop: it closes the member's health endpoint and waits grace
// (or until ctx ends). Proto.Actor's own graceful Shutdown stops the actor
// system first and closes the endpoint after, so that calls to its grains
// failed until the others' next poll, each decided by on_cluster_loss.
// Other providers are left to Shutdown.
func leaveFirst(ctx context.Context, p cluster.ClusterProvider, grace time.Duration) {
	a, ok := p.(*automanaged.AutoManagedProvider)
	if !ok {
		return
	}
	_ = a.Shutdown(true) // Cluster.Shutdown calls it again: it only closes the endpoint again
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// healthChecker is a provider that can tell whether it still reaches the
// cluster (automanaged and etcd can).
type healthChecker interface {
	GetHealthStatus() error
}

// newProvider returns the Proto.Actor provider that cfg names.
func newProvider(cfg Config) (cluster.ClusterProvider, error) {
	switch cfg.Provider {
	case Automanaged:
		return automanaged.NewWithConfig(automanagedRefresh, cfg.HealthPort, cfg.Seeds...), nil
	case Etcd:
		p, err := etcd.NewWithConfig(cfg.Prefix, clientv3.Config{Endpoints: cfg.Endpoints, DialTimeout: 5 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("cluster: etcd at %v: %w", cfg.Endpoints, err)
		}
		return p, nil
	case InMemory:
		return test.NewTestProvider(cfg.InMem.agent), nil
	}
	return nil, fmt.Errorf("cluster: unknown provider %q", cfg.Provider)
}
