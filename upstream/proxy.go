package upstream

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/troupe-go/troupe/actors"
)

// ProxyConfig configures the reverse-proxy handler beyond its upstream:
// the path it forwards to, the Host it sends, and what it answers while
// the breaker refuses calls.
type ProxyConfig struct {
	// StripPrefix is removed from the front of the request's path, on a
	// segment boundary: with "/api", "/api/items" is forwarded as "/items".
	StripPrefix string `yaml:"strip_prefix"`
	// Path, when set, is the path forwarded instead of the request's, with
	// the route's parameters filled in: "/v2/items/{id}", or
	// "/files/{rest...}" for a wildcard. Not with StripPrefix.
	Path string `yaml:"path"`
	// PreserveHost sends the client's Host header rather than the target's.
	PreserveHost bool `yaml:"preserve_host"`
	// Fallback, when set, is answered instead of 503 while the breaker
	// refuses calls.
	Fallback *Fallback `yaml:"fallback"`
}

// Fallback is a static response.
type Fallback struct {
	// Status defaults to 200.
	Status int `yaml:"status"`
	// ContentType defaults to "text/plain; charset=utf-8".
	ContentType string `yaml:"content_type"`
	// Body is the response body.
	Body string `yaml:"body"`
}

// Proxy is the reverse-proxy handler: a Stage that forwards the exchange's
// request to an Upstream and answers with its response.
//
// It forwards the method, the path (rewritten as ProxyConfig says), the
// query, the body and the headers, without hop-by-hop headers and with
// X-Forwarded-For, -Host and -Proto set from what the server trusts
// (clientip.From: run the client_ip stage with your proxies' CIDRs to
// believe their X-Forwarded-For; the client's own forwarding headers are
// dropped). The upstream's response is answered as it is, less its
// hop-by-hop headers. Calls that get no response are answered with a
// problem document: 502, 503 (breaker open, bulkhead full) with
// Retry-After, or 504.
//
// Bodies are buffered, both ways: the ingress has read the request body
// (bounded by the route's max_body_bytes), and the response body is read
// in full (bounded by Config.MaxResponseBytes) before it is answered.
// Trailers are not forwarded. See the package documentation for the core
// change streaming needs.
//
// A Proxy is safe for concurrent use; it blocks, so its Spec is Blocking.
type Proxy struct {
	up           *Upstream
	rw           *rewrite
	preserveHost bool
	fallback     *Fallback
}

var _ actors.Stage = (*Proxy)(nil)

// NewProxy returns a proxy to up.
func NewProxy(up *Upstream, cfg ProxyConfig) (*Proxy, error) {
	rw, err := newRewrite(cfg.StripPrefix, cfg.Path)
	if err != nil {
		return nil, err
	}
	p := &Proxy{up: up, rw: rw, preserveHost: cfg.PreserveHost}
	if f := cfg.Fallback; f != nil {
		fb := *f
		fb.Status = orDefault(fb.Status, http.StatusOK)
		if fb.Status < 200 || fb.Status > 599 {
			return nil, fmt.Errorf("fallback: status must be from 200 to 599, got %d", f.Status)
		}
		fb.ContentType = orDefault(fb.ContentType, "text/plain; charset=utf-8")
		p.fallback = &fb
	}
	return p, nil
}

// Upstream returns the proxy's upstream.
func (p *Proxy) Upstream() *Upstream { return p.up }

// Spec returns the handler Spec of the proxy: Blocking, with enough actors
// for every call the bulkhead admits and waits for, plus some to refuse
// the rest at once rather than queue them.
func (p *Proxy) Spec(name string) *actors.Spec {
	b := p.up.cfg.Bulkhead
	return &actors.Spec{Name: name, Kind: actors.Blocking, Priority: actors.Terminating, Stage: p,
		Concurrency: b.MaxConcurrent + b.MaxWaiting + spareActors}
}

// spareActors are the actors a proxy's pool has beyond its bulkhead's
// limit: they take the requests past the limit and refuse them at once.
const spareActors = 16

// Process forwards the request and answers with the response.
func (p *Proxy) Process(ex *actors.Exchange) error {
	req := &Request{
		Method:   ex.Request.Method,
		Path:     p.rw.path(ex),
		RawQuery: ex.Request.URL.RawQuery,
		Header:   outboundHeader(ex),
		Body:     ex.Body,
	}
	if p.preserveHost {
		req.Host = ex.Request.Host
	}
	resp, err := p.up.Do(ex.Context(), req)
	if err != nil {
		if p.fallback != nil && errors.Is(err, ErrOpen) {
			ex.Respond(p.fallback.Status, p.fallback.ContentType, []byte(p.fallback.Body))
			return nil
		}
		return err
	}
	copyResponseHeader(ex, resp.Header)
	ex.Respond(resp.Status, "", resp.Body)
	return nil
}
