package cluster

import (
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
