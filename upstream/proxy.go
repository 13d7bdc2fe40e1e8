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
	// refuses calls. For the last good response instead of a static one,
	// put a cache stage with stale_if_error in front of the route, and set
	// BufferResponse (the cache keeps whole bodies only).
	Fallback *Fallback `yaml:"fallback"`
	// BufferResponse reads the upstream's response body in full (at most
	// Config.MaxResponseBytes, else 502) before answering, so that stages
	// which rewrite or keep bodies (cache, compress, envelope) can work on
	// it. By default the body is streamed to the client as it arrives,
	// with its trailers.
	BufferResponse bool `yaml:"buffer_response"`
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
// Bodies are streamed, both ways, unless told otherwise: on a route that
// streams its body (Route.StreamBody, stream_body in config) the request
// body is sent upstream as it arrives — in one attempt, since it cannot be
// sent twice — and otherwise the body the ingress read is sent (and sent
// again by retries). The response body is copied to the client as it
// arrives, with its trailers, unless ProxyConfig.BufferResponse is set.
// Memory stays bounded whatever the bodies' sizes. Upgrades (WebSocket)
// are not forwarded.
//
// A Proxy is safe for concurrent use. It waits for the upstream on the
// request's own goroutine, as a Stateless handler does.
type Proxy struct {
	up           *Upstream
	rw           *rewrite
	preserveHost bool
	buffer       bool
	fallback     *Fallback
}

var _ actors.Stage = (*Proxy)(nil)

// NewProxy returns a proxy to up.
func NewProxy(up *Upstream, cfg ProxyConfig) (*Proxy, error) {
	rw, err := newRewrite(cfg.StripPrefix, cfg.Path)
	if err != nil {
		return nil, err
	}
	p := &Proxy{up: up, rw: rw, preserveHost: cfg.PreserveHost, buffer: cfg.BufferResponse}
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

// Spec returns the handler Spec of the proxy: Stateless, so each call
// waits on its request's own goroutine. The upstream's bulkhead is its
// concurrency limit: it admits MaxConcurrent calls, lets MaxWaiting wait,
// and refuses the rest at once.
func (p *Proxy) Spec(name string) *actors.Spec {
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: actors.Terminating, Stage: p}
}

// Process forwards the request and answers with the response.
func (p *Proxy) Process(ex *actors.Exchange) error {
	req := &Request{
		Method:   ex.Request.Method,
		Path:     p.rw.path(ex),
		RawQuery: ex.Request.URL.RawQuery,
		Header:   outboundHeader(ex),
		Body:     ex.Body,
	}
	if ex.BodyReader != nil {
		req.Stream, req.ContentLength, req.Trailer = ex.BodyReader, ex.Request.ContentLength, ex.Request.Trailer
	}
	if p.preserveHost {
		req.Host = ex.Request.Host
	}
	var resp *Response
	var err error
	if p.buffer || ex.Deadline.IsZero() {
		do := p.up.DoStream
		if p.buffer {
			do = p.up.Do
		}
		resp, err = do(ex.Context(), req)
	} else {
		resp, err = p.doStream(ex, req)
	}
	if err != nil {
		if p.fallback != nil && errors.Is(err, ErrOpen) {
			ex.Respond(p.fallback.Status, p.fallback.ContentType, []byte(p.fallback.Body))
			return nil
		}
		return err
	}
	copyResponseHeader(ex, resp.Header, resp.Stream != nil)
	if resp.Stream == nil {
		ex.Respond(resp.Status, "", resp.Body)
		return nil
	}
	ex.RespondStream(resp.Status, "", resp.Stream)
	if len(resp.Trailer) > 0 {
		ex.Response.Trailer = resp.Trailer
	}
	return nil
}
