package upstream

import (
	"strings"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// Options are the options of the proxy handler kind: an upstream's Config
// and a ProxyConfig, side by side.
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

// Register adds the handler kind proxy to reg: a reverse proxy to the
// targets in its options, through a circuit breaker, retries within a
// budget, a bulkhead and the request's deadline. Its options are the yaml
// keys of Options (Config and ProxyConfig):
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
//	      bulkhead: {max_concurrent: 100}
//
// Each route gets an upstream of its own, named after the route unless
// name says otherwise: two routes to the same servers have two breakers.
func Register(reg *config.Registry) {
	reg.RegisterHandler("proxy", config.Kind{
		Doc: "forwards the request to an upstream (targets, round_robin or least_in_flight) through a circuit breaker, " +
			"retries within a budget, a bulkhead and the request's deadline; bodies are streamed (buffer_response: true to buffer the response). Options: targets (required), " +
			"name, balance, connect_timeout, attempt_timeout, max_response_bytes, deadline_header, transport, breaker, retry, " +
			"bulkhead, health, strip_prefix, path, preserve_host, fallback.",
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var o Options
			if err := opts.Decode(&o); err != nil {
				return nil, err
			}
			spec, up, err := Build(name, o, WithLogger(opts.Logger()))
			if err != nil {
				return nil, opts.Errorf("proxy: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
			}
			opts.Add(up)
			return spec, nil
		},
	})
}
