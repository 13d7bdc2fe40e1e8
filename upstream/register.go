package upstream

import (
	"cmp"
	"errors"
	"strings"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// Options are the options of a proxy kind whose route has an upstream of
// its own: the upstream's Config and a ProxyConfig, side by side.
type Options struct {
	Config      `yaml:",inline"`
	ProxyConfig `yaml:",inline"`
}

// Build returns the handler Spec, named name, of a proxy configured by o,
// and its upstream, which the caller must add to the app (it is the
// component that owns the breaker's actor). o.Name defaults to name.
func Build(name string, o Options, opts ...Option) (*actors.Spec, *Upstream, error) {
	if o.Name == "" {
		o.Name = name
	}
	up, err := New(o.Config, opts...)
	if err != nil {
		return nil, nil, err
	}
	p, err := NewProxy(up, o.ProxyConfig)
	if err != nil {
		return nil, nil, err
	}
	return p.Spec(name), up, nil
}

// kindOptions are the options of the proxy kind: a shared upstream's name,
// or an upstream's Config of the route's own, and the ProxyConfig.
type kindOptions struct {
	Upstream string `yaml:"upstream"`
	Options  `yaml:",inline"`
}

// Register adds to reg the handler kind proxy, a reverse proxy through a
// circuit breaker, retries within a budget, a bulkhead and the request's
// deadline, and the section upstreams (RegisterSection) of the upstreams
// routes share.
//
// A route proxies to an upstream of its own, configured by the yaml keys of
// Options (Config and ProxyConfig) and named after the route unless name
// says otherwise — two such routes to the same servers have two breakers:
//
//	routes:
//	  - method: GET
//	    path: /api/{rest...}
//	    handler: proxy
//	    timeout: 2s
//	    options:
//	      targets: ["http://10.0.0.7:8080", "http://10.0.0.8:8080"]
//	      balance: least_in_flight
//	      strip_prefix: /api
//	      breaker: {consecutive_failures: 5, open_timeout: 30s}
//	      retry: {max_attempts: 2}
//	      bulkhead: {max_concurrent: 100}   # adaptive below it unless adaptive: false
//
// or, with `upstream: NAME`, to the upstream of that name declared under
// upstreams, shared with every route that names it; its options are then
// those of ProxyConfig only (strip_prefix, path, preserve_host, fallback,
// buffer_response), and the upstream's own are errors on the route:
//
//	upstreams:
//	  catalogue: {targets: ["http://10.0.0.7:8080"], breaker: {consecutive_failures: 5}}
//	routes:
//	  - {method: GET, path: "/api/{rest...}", handler: proxy, options: {upstream: catalogue, strip_prefix: /api}}
//	  - {method: GET, path: "/v1/{rest...}", handler: proxy, options: {upstream: catalogue, strip_prefix: /v1}}
func Register(reg *config.Registry) {
	RegisterSection(reg)
	reg.RegisterHandler("proxy", config.Kind{
		Doc: "forwards the request to an upstream (targets, round_robin or least_in_flight) through a circuit breaker, " +
			"retries within a budget, a bulkhead and the request's deadline; the response body is streamed (buffer_response: true buffers it), " +
			"and so is the request body on a route with stream_body: true. Options: upstream (the name of one declared " +
			"under upstreams, shared) or targets (the route's own) with name, balance, connect_timeout, attempt_timeout, " +
			"max_response_bytes, deadline_header, transport, breaker, retry, bulkhead, health; and strip_prefix, path, " +
			"preserve_host, fallback, buffer_response.",
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var o kindOptions
			decodeErr := opts.Decode(&o)
			if o.Upstream == "" {
				if decodeErr != nil {
					return nil, decodeErr
				}
				withCluster, clusterErr := clusterOptions(opts, cmp.Or(o.Name, name), &o.Breaker)
				spec, up, err := Build(name, o.Options, append(withCluster, WithLogger(opts.Logger()))...)
				if err != nil {
					err = opts.Errorf("proxy: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
				}
				if err := errors.Join(clusterErr, err); err != nil {
					return nil, err
				}
				opts.Add(up)
				return spec, nil
			}
			if strings.Contains(o.Upstream, "://") {
				return nil, errors.Join(decodeErr, opts.KeyErrorf("upstream", "proxy: upstream names an upstream declared under upstreams; "+
					"for the URL of a target of the route's own, write targets: [%q]", o.Upstream))
			}
			up, sharedErr := Shared(opts, "upstream")
			p, err := NewProxy(up, o.ProxyConfig)
			if err != nil {
				err = opts.Errorf("proxy: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
			}
			if err := errors.Join(decodeErr, sharedErr, err); err != nil {
				return nil, err
			}
			return p.Spec(name), nil // the upstream is the configuration's to run
		},
	})
}
