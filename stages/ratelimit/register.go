package ratelimit

import (
	"errors"
	"strings"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// clusterBlock is the configuration's top-level block that package cluster
// registers: the cluster whose buckets scope "cluster" uses.
const clusterBlock = "cluster"

// Register adds the stage kind rate_limit to reg: a stage of priority auth
// whose options are the yaml keys of Config. With scope cluster it uses
// the configuration's cluster block (package cluster's Register); without
// one, scope cluster is an error at its line.
//
//	stages:
//	  per-client:
//	    kind: rate_limit
//	    options: {rate: 10, burst: 20, key: subject}
//	  per-partner:
//	    kind: rate_limit
//	    options: {limit: 1000, period: 1h, key: "header:X-Partner-ID", idle_ttl: 10m}
//	  per-client-cluster-wide:
//	    kind: rate_limit
//	    options: {rate: 100, scope: cluster, on_cluster_loss: closed}
func Register(reg *config.Registry) {
	k := config.StageKind("token bucket per key; 429 with Retry-After when empty, RateLimit-Limit/-Remaining/-Reset (draft-ietf-httpapi-ratelimit-headers-06) "+
		"on every response; buckets owned by partitioned actors. Options: rate (requests per second) or limit and period (default 1s), "+
		"burst (default limit, or rate rounded up), key (ip | subject | header:NAME; default ip), partitions (default 2 × GOMAXPROCS), "+
		"idle_ttl (forget idle buckets sooner; default: once full again), max_keys (default 1048576), "+
		"scope (local | cluster: one bucket per key for the whole cluster, leased to its members; default local), "+
		"on_cluster_loss (open: limit on this server alone while the cluster is lost | closed: 503; default open).", Priority, New)
	k.New = func(name string, opts config.Options) (*actors.Spec, error) {
		var cfg Config
		if err := opts.Decode(&cfg); err != nil {
			return nil, err
		}
		if c, ok := opts.Block(clusterBlock); ok {
			cfg.Cluster, _ = c.(Cluster)
		}
		spec, err := New(name, cfg)
		if err != nil {
			msg := strings.ReplaceAll(err.Error(), "\n", "; ")
			if oe, ok := errors.AsType[*optionError](err); ok {
				return nil, opts.KeyErrorf(oe.key, "%s", msg)
			}
			return nil, opts.Errorf("%s", msg)
		}
		return spec, nil
	}
	reg.Register("rate_limit", k)
}
