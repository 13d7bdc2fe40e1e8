package bench

import (
	"context"
	"net"
	"net/http"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/upstream"
	"go.uber.org/zap"
)

// ProxyTroupe is the proxy scenario's troupe peer: a troupe app whose
// route GET ProxyPrefix+"/{rest...}" is upstream's proxy handler
// (upstream.Build) with ProxyPrefix stripped, in front of the one target.
// The circuit breaker and retries are on with their defaults (5 failures
// in a row open the breaker; 2 attempts for an idempotent request within a
// 10% budget), the request's deadline (troupe's default, 10s) bounds each
// attempt and goes upstream as Request-Timeout, and every attempt is
// admitted and reported by the upstream's keeper actor. Two settings
// differ from the defaults, for the reasons their constants give: the
// bulkhead (ProxyBulkhead) and the keep-alive pool (ProxyIdleConns). The
// upstream is a component of the app (app.Add). Serve it with Start or
// mount it with Handler, once. Its methods are safe for concurrent use.
type ProxyTroupe struct {
	up  *ProxyUpstream
	app *troupe.App
}

// NewProxyTroupe returns the proxy to up, which must be serving, logging
// its problems to log.
func NewProxyTroupe(up *ProxyUpstream, log *zap.Logger) (*ProxyTroupe, error) {
	const name = "GET " + ProxyPrefix + "/{rest...}"
	spec, component, err := upstream.Build(name, upstream.Options{
		Config: upstream.Config{
			Targets:   []string{up.URL()},
			Transport: upstream.TransportConfig{MaxIdleConns: ProxyIdleConns, MaxIdleConnsPerHost: ProxyIdleConns},
			Bulkhead:  upstream.BulkheadConfig{MaxConcurrent: ProxyBulkhead},
		},
		ProxyConfig: upstream.ProxyConfig{StripPrefix: ProxyPrefix},
	}, upstream.WithLogger(log))
	if err != nil {
		return nil, err
	}
	p := &ProxyTroupe{up: up}
	p.app = troupe.New(troupe.Config{
		HTTP:  serverConfig("127.0.0.1:0"),
		Admin: troupe.AdminConfig{Addr: "off"},
	}, troupe.WithLogger(log))
	p.app.Add(component)
	p.app.Handle(http.MethodGet, ProxyPrefix+"/{rest...}", spec)
	return p, nil
}

// Handler builds the app (starting its upstream's actor) and returns its
// http.Handler, for serving without a listener; Close stops it.
func (p *ProxyTroupe) Handler() (http.Handler, error) { return p.app.Handler() }

// Close stops an app built by Handler.
func (p *ProxyTroupe) Close() { _ = p.app.Close(context.Background()) }

// Hits returns how many times the upstream has answered, whoever asked:
// the harness loads one peer at a time, so the count's rise during a
// round is this peer's.
func (p *ProxyTroupe) Hits() int64 { return p.up.Hits() }

// Start builds the app and serves on 127.0.0.1, on a free port, until
// Shutdown. addr is ignored: the app is configured when it is made.
func (p *ProxyTroupe) Start(string) error { return p.app.Start() }

// Addr returns the address the peer serves on, once started.
func (p *ProxyTroupe) Addr() net.Addr { return p.app.Addr() }

// Shutdown stops the app gracefully.
func (p *ProxyTroupe) Shutdown(ctx context.Context) error { return p.app.Shutdown(ctx) }
