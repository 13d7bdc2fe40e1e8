package cluster

import (
	"errors"

	"github.com/troupe-go/troupe/config"
)

// BlockKey is the configuration's top-level key of the cluster block.
const BlockKey = "cluster"

// Register adds the block cluster to configuration files: with it, the
// server is a member of a cluster (a Node, started before the app serves
// and stopped after), and rate limits, upstreams' breakers
// (`breaker: {scope: cluster}`) and batchers (a batch_proxy's batch) may
// take scope cluster. Its options
// are the yaml keys of Config:
//
//	cluster:
//	  name: shop
//	  host: 127.0.0.1
//	  port: 7101
//	  provider: automanaged            # or etcd, with endpoints: [127.0.0.1:2379]
//	  health_port: 7201
//	  seeds: [127.0.0.1:7201, 127.0.0.1:7202, 127.0.0.1:7203]
func Register(reg *config.Registry) {
	reg.RegisterBlock(BlockKey, config.Block{
		Doc: "this server's membership of a Proto.Actor cluster, for limits that hold cluster-wide (rate_limit scope: cluster; an upstream's breaker: {scope: cluster}) and batches shared by every server (batch_proxy batch.scope: cluster). " +
			"Options: name (default troupe), host (default 127.0.0.1), port (for the other members), provider (automanaged | etcd; default automanaged), " +
			"health_port and seeds (automanaged: this member's health port; every member's health address), endpoints and prefix (etcd; prefix default /troupe), " +
			"identity_lookup (disthash), request_timeout (a call to a grain; default 250ms), lease_ttl (a rate limit's lease of tokens, a breaker's lease of admission: how stale a member's view of a breaker may be; default 1s), grain_idle (a full bucket's grain, or a batcher's with nothing to answer, stops after this long idle; default 30s).",
		New: func(opts config.Options) (any, error) {
			var cfg Config
			if err := opts.Decode(&cfg); err != nil {
				return nil, err
			}
			if cfg.Provider == InMemory {
				return nil, opts.KeyErrorf("provider", "cluster.provider: inmem joins members of one Go process; from a file, use automanaged or etcd")
			}
			n, err := New(cfg, opts.Logger())
			if err != nil {
				return nil, located(opts, err)
			}
			return n, nil
		},
	})
}

// located places each *FieldError of err at its key's line.
func located(opts config.Options, err error) error {
	var errs []error
	for _, e := range unjoin(err) {
		if fe, ok := errors.AsType[*FieldError](e); ok {
			errs = append(errs, opts.KeyErrorf(fe.Key, "%s", fe.Error()))
		} else {
			errs = append(errs, opts.Errorf("%s", e.Error()))
		}
	}
	return errors.Join(errs...)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
