package batchproxy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
)

// Proxy is a batching proxy to one upstream: a batcher whose BatchFunc
// POSTs each batch to the upstream, and the handler that feeds it. It is
// a troupe.Component (add it to the app, which starts and stops it) and a
// prometheus.Collector (the batcher's troupe_batch_* metrics).
//
//	p, err := batchproxy.New("score", batchproxy.Config{
//		Upstream: "http://10.0.0.9:9000/v1/score",
//		IDField:  "id",
//		Batch:    batching.Config{MaxBatchSize: 32, MaxInFlight: 4},
//	})
//	if err != nil { … }
//	app.Add(p)
//	app.Handle("POST", "/score", p.Spec("POST /score")).Timeout(2 * time.Second)
//
// It is safe for concurrent use.
type Proxy struct {
	cfg       Config
	b         *batching.Batcher[Item, Reply]
	client    *http.Client
	transport *http.Transport // ours to close, or nil
}

// New returns a proxy to cfg.Upstream named name (the batcher's name in
// metrics), or an error if cfg is invalid.
func New(name string, cfg Config) (*Proxy, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("batch proxy %q: %w", name, err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	p := &Proxy{cfg: cfg, client: cfg.Client}
	if p.client == nil {
		p.transport = newTransport(cfg)
		p.client = &http.Client{Transport: p.transport}
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

// newTransport returns a transport tuned for one upstream: bounded dial,
// TLS and header waits, and idle connections enough for every batch in
// flight.
func newTransport(cfg Config) *http.Transport {
	idle := 2 * max(cfg.Batch.MaxInFlight, 1)
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          idle,
		MaxIdleConnsPerHost:   idle,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}

// Batcher returns the proxy's batcher, for Go callers that submit items
// themselves.
func (p *Proxy) Batcher() *batching.Batcher[Item, Reply] { return p.b }

// Spec returns the spec of the proxy's handler, named name: a Blocking
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

// Start starts the batcher in sys. It implements troupe.Component.
func (p *Proxy) Start(sys *actors.System) error { return p.b.Start(sys) }

// Stop flushes and stops the batcher (see batching.Batcher.Stop), then
// closes the idle connections of the proxy's own transport. It implements
// troupe.Component and is safe to call twice.
func (p *Proxy) Stop(ctx context.Context) error {
	err := p.b.Stop(ctx)
	if p.transport != nil {
		p.transport.CloseIdleConnections()
	}
	return err
}

// Describe implements prometheus.Collector.
func (p *Proxy) Describe(ch chan<- *prometheus.Desc) { p.b.Describe(ch) }

// Collect implements prometheus.Collector.
func (p *Proxy) Collect(ch chan<- prometheus.Metric) { p.b.Collect(ch) }
