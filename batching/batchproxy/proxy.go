package batchproxy

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"github.com/troupe-go/troupe/upstream"
)

// Proxy is a batching proxy to one upstream: a batcher whose BatchFunc
// POSTs each batch through an upstream.Upstream — its circuit breaker,
// bulkhead, retries, deadline header and connection pool — and the handler
// that feeds it. It is a troupe.Component (add it to the app, which starts
// and stops it) and a prometheus.Collector (the batcher's troupe_batch_*
// metrics, and the troupe_upstream_* ones of an upstream of its own).
//
//	p, err := batchproxy.New("score", batchproxy.Config{
//		Upstream: "http://10.0.0.9:9000/v1/score",
//		IDField:  "id",
//		Batch:    batching.Config{MaxBatchSize: 32, MaxInFlight: 4},
//		UpstreamConfig: upstream.Config{
//			Breaker: upstream.BreakerConfig{ConsecutiveFailures: 5, OpenTimeout: 10 * time.Second},
//		},
//	})
//	if err != nil { … }
//	app.Add(p)
//	app.Handle("POST", "/score", p.Spec("POST /score")).Timeout(2 * time.Second)
//
// or, through an upstream that other handlers share (added to the app on
// its own, before the proxy, so that it outlives the proxy's last batch):
//
//	app.Add(up)
//	p, err := batchproxy.New("score", batchproxy.Config{Path: "/v1/score"}, batchproxy.WithUpstream(up))
//	app.Add(p)
//
// It is safe for concurrent use.
type Proxy struct {
	cfg Config
	b   *batching.Batcher[Item, Reply]
	up  *upstream.Upstream
	own bool // up is the proxy's own: it starts, stops and exports it
	to  target
}

// Option configures a Proxy beyond its Config.
type Option interface{ apply(*options) }

type options struct {
	up     *upstream.Upstream
	upOpts []upstream.Option
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithUpstream sends the batches through up, an upstream the proxy shares
// with other handlers, to Config.Path on its targets. The proxy neither
// starts nor stops it: add it to the app before the proxy. Config.Upstream
// must then be empty or up's name, and Config.UpstreamConfig left zero.
func WithUpstream(up *upstream.Upstream) Option {
	return optionFunc(func(o *options) { o.up = up })
}

// WithUpstreamOptions passes opts (a logger, a transport, a dialler) to
// upstream.New for the proxy's own upstream, the one of a URL. Not with
// WithUpstream.
func WithUpstreamOptions(opts ...upstream.Option) Option {
	return optionFunc(func(o *options) { o.upOpts = append(o.upOpts, opts...) })
}

// New returns a proxy named name (the batcher's name in metrics, and the
// name of the upstream of a URL unless UpstreamConfig.Name says
// otherwise), or an error saying everything that is wrong with cfg.
func New(name string, cfg Config, opts ...Option) (*Proxy, error) {
	var o options
	for _, opt := range opts {
		opt.apply(&o)
	}
	p := &Proxy{cfg: cfg}
	errs := []error{cfg.validate()}
	switch {
	case o.up != nil:
		if len(o.upOpts) > 0 {
			errs = append(errs, errors.New("WithUpstreamOptions is for the proxy's own upstream, not with WithUpstream"))
		}
		to, err := cfg.shared(o.up.Name())
		errs = append(errs, err)
		if cfg.Upstream != "" && !IsURL(cfg.Upstream) && cfg.Upstream != o.up.Name() {
			errs = append(errs, fmt.Errorf("upstream %q is not the name of the upstream given, %s", cfg.Upstream, o.up.Name()))
		}
		p.up, p.to = o.up, to
	case cfg.Upstream == "":
		errs = append(errs, errors.New("upstream is required: a URL, or the name of an upstream declared under upstreams"))
	case !IsURL(cfg.Upstream):
		errs = append(errs, fmt.Errorf("upstream %q is neither a URL nor given: name a shared upstream in a configuration file, or pass it with WithUpstream", cfg.Upstream))
	default:
		uc, to, err := cfg.private(name)
		if err == nil {
			p.up, err = upstream.New(uc, o.upOpts...)
		}
		errs = append(errs, err)
		p.to, p.own = to, true
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("batch proxy %q: %w", name, err)
	}
	if p.cfg.Timeout == 0 {
		p.cfg.Timeout = DefaultTimeout
	}
	bc := cfg.Batch
	bc.Name = name
	b, err := batching.New(bc, p.call)
	if err != nil {
		return nil, fmt.Errorf("batch proxy %q: %w", name, err)
	}
	p.b = b
	return p, nil
}

// Batcher returns the proxy's batcher, for Go callers that submit items
// themselves.
func (p *Proxy) Batcher() *batching.Batcher[Item, Reply] { return p.b }

// Upstream returns the upstream the proxy calls: its own, or the shared
// one it was given.
func (p *Proxy) Upstream() *upstream.Upstream { return p.up }

// Spec returns the spec of the proxy's handler, named name: a
// handler that reads the request body as one item, submits it under the
// request's key (Config.KeyHeader), and answers with its result's status
// and JSON body.
func (p *Proxy) Spec(name string) *actors.Spec {
	hc := batching.HandlerConfig[Item, Reply]{
		Decode: p.decodeItem,
		Encode: func(ex *actors.Exchange, r Reply) error {
			ex.Respond(r.Status, "application/json", r.Body)
			return nil
		},
	}
	if h := p.cfg.KeyHeader; h != "" {
		hc.Key = func(ex *actors.Exchange) string { return ex.Request.Header.Get(h) }
	}
	return batching.Handler(name, p.b, hc)
}

// Start starts the proxy's own upstream, if it has one, then the batcher,
// in sys. It implements troupe.Component.
func (p *Proxy) Start(sys *actors.System) error {
	if p.own {
		if err := p.up.Start(sys); err != nil {
			return err
		}
	}
	if err := p.b.Start(sys); err != nil {
		if p.own {
			_ = p.up.Stop(context.Background())
		}
		return err
	}
	return nil
}

// Stop flushes and stops the batcher (see batching.Batcher.Stop), whose
// last batches go through the upstream, then stops the proxy's own
// upstream, if it has one. It implements troupe.Component and is safe to
// call twice.
func (p *Proxy) Stop(ctx context.Context) error {
	err := p.b.Stop(ctx)
	if p.own {
		err = errors.Join(err, p.up.Stop(ctx))
	}
	return err
}

// Describe implements prometheus.Collector.
func (p *Proxy) Describe(ch chan<- *prometheus.Desc) {
	p.b.Describe(ch)
	if p.own {
		p.up.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (p *Proxy) Collect(ch chan<- prometheus.Metric) {
	p.b.Collect(ch)
	if p.own {
		p.up.Collect(ch)
	}
}
