package upstream

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/troupe-go/troupe/config"
)

// SectionKey is the key of the top-level configuration section that declares
// shared upstreams (see RegisterSection).
const SectionKey = "upstreams"

// RegisterSection adds the top-level section upstreams to reg, unless reg
// has it already (Register and batchproxy.Register both call it). Each
// entry declares an upstream, named by its key, whose options are the yaml
// keys of Config but name:
//
//	upstreams:
//	  scoring:
//	    targets: ["http://10.0.0.9:9000", "http://10.0.0.10:9000"]
//	    breaker: {consecutive_failures: 5, open_timeout: 10s}
//	    retry: {max_attempts: 2}
//	    bulkhead: {max_concurrent: 64}
//
// Routes of the kinds proxy and batch_proxy name it with `upstream:
// scoring`, and then share its one breaker, retry budget, bulkhead,
// target health and connection pool (and its metrics, labelled
// upstream="scoring"). A declared upstream is built, checked and run with
// the app (its health checks too) whether or not a route names it.
//
// With `breaker: {scope: cluster}` (and a cluster section), the servers
// of the cluster share the upstream's breaker too: see ScopeCluster and
// BreakerConfig.OnClusterLoss.
func RegisterSection(reg *config.Registry) {
	if _, ok := reg.Section(SectionKey); ok {
		return
	}
	reg.RegisterSection(SectionKey, config.Section{
		Doc: "upstreams that several routes share (proxy and batch_proxy name one with upstream: NAME): one breaker, " +
			"retry budget, bulkhead and connection pool. Options: those of proxy's upstream — targets (required), balance, " +
			"connect_timeout, attempt_timeout, max_response_bytes, deadline_header, transport, breaker, retry, bulkhead, health.",
		New: func(name string, opts config.Options) (any, error) {
			var c Config
			if err := opts.Decode(&c); err != nil {
				return nil, err
			}
			if c.Name != "" {
				return nil, opts.KeyErrorf("name", "upstreams: %q: leave name out: an upstream's name is its key", name)
			}
			c.Name = name
			withCluster, clusterErr := clusterOptions(opts, name, &c.Breaker)
			up, err := New(c, append(withCluster, WithLogger(opts.Logger()))...)
			if err != nil {
				err = opts.Errorf("%s", strings.ReplaceAll(err.Error(), "\n", "; "))
			}
			if err := errors.Join(clusterErr, err); err != nil {
				return nil, err
			}
			return up, nil // a component: the configuration adds it to the app, once
		},
	})
}

// Shared returns the shared upstream (declared under upstreams) that the
// option key of opts names, for a kind whose routes may share one: see
// RegisterSection. Beside that option, the options of the upstream itself
// (the yaml keys of Config: targets, breaker, retry, …) are errors, one at
// the line of each: they are set on the shared upstream, not on the route.
// The errors carry their file and line; return them as they are. Do not
// Add the upstream: the configuration runs it.
func Shared(opts config.Options, key string) (*Upstream, error) {
	var errs []error
	v, err := opts.Shared(SectionKey, key)
	if err != nil {
		errs = append(errs, err)
	}
	up, _ := v.(*Upstream)
	if v != nil && up == nil {
		errs = append(errs, opts.KeyErrorf(key, "%s is not an upstream but a %T", SectionKey, v))
	}
	name := "named"
	if up != nil {
		name = up.Name()
	}
	for _, k := range opts.Keys() {
		if slices.Contains(configKeys, k) {
			errs = append(errs, opts.KeyErrorf(k, "%s: set on the upstream %s (under %s), not on the route", k, name, SectionKey))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return up, nil
}

// configKeys are the yaml keys of Config: the options of an upstream.
var configKeys = yamlKeys(reflect.TypeFor[Config]())

// yamlKeys returns the yaml keys of the fields of struct t.
func yamlKeys(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			panic(fmt.Sprintf("upstream: field %s of %s needs a yaml key", f.Name, t))
		}
		out = append(out, name)
	}
	return out
}
