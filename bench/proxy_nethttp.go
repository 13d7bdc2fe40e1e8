package bench

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// ProxyNetHTTP is the proxy scenario's baseline: net/http/httputil's
// ReverseProxy alone, at GET ProxyPrefix+"/…" on an http.ServeMux, on an
// http.Server configured like troupe's. Its Rewrite strips ProxyPrefix,
// points the request at the upstream (SetURL, so the upstream's Host) and
// sets X-Forwarded-For, -Host and -Proto (SetXForwarded), as troupe's
// proxy does; its transport has troupe's upstream settings with a pool of
// ProxyIdleConns and a pool of copy buffers. It streams the response body
// through rather than reading it first, and has no breaker, retry, bulkhead or deadline. Its methods
// are safe for concurrent use; Start and Shutdown are each called once.
type ProxyNetHTTP struct {
	up        *ProxyUpstream
	transport *http.Transport
	handler   http.Handler

	plainServer
}

// NewProxyNetHTTP returns the proxy to up, which must be serving.
func NewProxyNetHTTP(up *ProxyUpstream) (*ProxyNetHTTP, error) {
	target, err := url.Parse(up.URL())
	if err != nil {
		return nil, fmt.Errorf("bench: the upstream's URL: %w", err)
	}
	tr := proxyTransport()
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Path = strings.TrimPrefix(pr.In.URL.Path, ProxyPrefix)
			pr.Out.URL.RawPath = ""
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		Transport:    tr,
		ErrorHandler: proxyError,
		BufferPool:   &copyBuffers{},
	}
	mux := http.NewServeMux()
	mux.Handle(http.MethodGet+" "+ProxyPrefix+"/", rp)
	return &ProxyNetHTTP{up: up, transport: tr, handler: mux}, nil
}

// proxyError is the plain proxy's ErrorHandler: ReverseProxy's own (log
// the error, answer 502), except for a client that has gone — as wrk's
// connections do at the end of every run — which gets no answer and no
// log line.
func proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	log.Printf("http: proxy error: %v", err)
	w.WriteHeader(http.StatusBadGateway)
}

// copyBuffers is the plain proxy's httputil.BufferPool, so that it does
// not allocate a 32 KiB copy buffer per response (ReverseProxy's default):
// the stronger baseline, as troupe's ingress pools its own.
type copyBuffers struct{ pool sync.Pool }

// Get returns a 32 KiB buffer.
func (c *copyBuffers) Get() []byte {
	if b, ok := c.pool.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, 32<<10)
}

// Put returns b to the pool.
func (c *copyBuffers) Put(b []byte) { c.pool.Put(&b) }

// Handler returns the proxy's handler, without a server.
func (p *ProxyNetHTTP) Handler() http.Handler { return p.handler }

// Hits returns how many times the upstream has answered, whoever asked:
// the harness loads one peer at a time, so the count's rise during a
// round is this peer's.
func (p *ProxyNetHTTP) Hits() int64 { return p.up.Hits() }

// Start serves on addr ("" means 127.0.0.1 on a free port) until Shutdown.
func (p *ProxyNetHTTP) Start(addr string) error { return p.serve(addr, p.handler) }

// Shutdown stops the server gracefully, then closes the proxy's idle
// connections to the upstream.
func (p *ProxyNetHTTP) Shutdown(ctx context.Context) error {
	err := p.plainServer.Shutdown(ctx)
	p.transport.CloseIdleConnections()
	return err
}
