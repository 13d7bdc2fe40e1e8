package batchproxy

import (
	"errors"
	"slices"
	"strings"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/upstream"
)

// clusterBlock is the configuration's top-level block that package cluster
// registers: the cluster that a batch of scope cluster gathers across.
const clusterBlock = "cluster"

// Register adds the handler kind batch_proxy to reg, and the section
// upstreams (upstream.RegisterSection) unless reg has it: its options are
// the yaml keys of Config (see the package documentation for examples).
// Each route of this kind gets its own proxy, added to the app
// (config.Options.Add), which starts it before serving, flushes it after
// draining, and exports its troupe_batch_* metrics under the route's
// handler name. With batch.scope cluster, the items of every server of
// the configuration's cluster (its cluster section, package cluster's
// Register) gather in shared batches, each key's on one member, which
// calls the upstream; without a cluster section, scope cluster is an error
// at its line. With an upstream URL, the proxy has an upstream of its own,
// started, stopped and exported with it; with `upstream: NAME`, it goes
// through the upstream of that name declared under upstreams, which the
// configuration runs, and the upstream's options (breaker, retry, …,
// max_response_bytes) are errors on the route.
func Register(reg *config.Registry) {
	upstream.RegisterSection(reg)
	reg.RegisterHandler("batch_proxy", config.Kind{
		Doc: "gathers concurrent requests (one JSON item each) into batches POSTed to an upstream as one JSON array, and answers each with its own result. " +
			"Options: upstream (required: a URL, or the name of one declared under upstreams, then with path), items_field, results_field, " +
			"id_field (match by id; default by position), status_field, body_field, timeout (10s), headers, key_header, " +
			"batch (the batching options: max_batch_size, max_delay, max_in_flight, max_queue, …, scope (local | cluster: gather the items of every server of the cluster; default local), on_cluster_loss (open | closed)); with a URL, the upstream's own options " +
			"(breaker, retry, bulkhead, transport, connect_timeout, attempt_timeout, max_response_bytes (16 MiB), health, …).",
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var c Config
			decodeErr := opts.Decode(&c)
			var popts []Option
			var errs []error
			switch {
			case strings.ContainsAny(c.Upstream, "/:") && !IsURL(c.Upstream):
				return nil, errors.Join(decodeErr, opts.KeyErrorf("upstream", "batch_proxy: upstream %q is neither a URL (http://…) "+
					"nor the name of an upstream declared under upstreams", c.Upstream))
			case c.Upstream != "" && !IsURL(c.Upstream):
				up, err := upstream.Shared(opts, "upstream")
				if err != nil {
					return nil, errors.Join(decodeErr, err)
				}
				errs = append(errs, decodeErr)
				popts = append(popts, WithUpstream(up))
			case decodeErr != nil:
				return nil, decodeErr
			default:
				// path and targets are refused at their lines, here, rather
				// than by New at the options' line.
				for _, k := range []string{"path", "targets"} {
					if c.Upstream != "" && slices.Contains(opts.Keys(), k) {
						errs = append(errs, opts.KeyErrorf(k, "batch_proxy: %s goes with the name of an upstream declared under upstreams; "+
							"with the URL %s, the URL is the target and has the path", k, c.Upstream))
					}
				}
				c.Path, c.UpstreamConfig.Targets = "", nil
				popts = append(popts, WithUpstreamOptions(upstream.WithLogger(opts.Logger())))
			}
			if c.Batch.Scope == batching.ScopeCluster {
				if node, ok := opts.Block(clusterBlock); ok {
					c.Batch.Cluster, _ = node.(batching.Cluster)
				}
				if c.Batch.Cluster == nil {
					return nil, errors.Join(append(errs, opts.Sub("batch").KeyErrorf("scope",
						"batch_proxy: batch.scope cluster needs a cluster: a top-level cluster section"))...)
				}
			}
			p, err := New(name, c, popts...)
			if err != nil {
				errs = append(errs, opts.Errorf("batch_proxy: %s", strings.ReplaceAll(err.Error(), "\n", "; ")))
			}
			if err := errors.Join(errs...); err != nil {
				return nil, err
			}
			opts.Add(p) // a shared upstream is the configuration's to run
			return p.Spec(name), nil
		},
	})
}
