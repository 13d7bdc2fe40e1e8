package upstream

import (
	"net/http"
	"net/textproto"
	"strings"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/stages/clientip"
)

// hopHeaders are the hop-by-hop headers (RFC 9110, section 7.6.1, and the
// non-standard ones net/http/httputil removes): they describe one
// connection and are never forwarded. TE and Trailer go too: trailers
// cannot be forwarded by a proxy that buffers (see the package
// documentation).
var hopHeaders = []string{
	"Connection",
	"Proxy-Connection",
	"Keep-Alive",
	"Proxy-Authenticate",
	"Proxy-Authorization",
	"Te",
	"Trailer",
	"Transfer-Encoding",
	"Upgrade",
}

// forwardingHeaders are what clients may send to claim an address or a
// scheme; the proxy drops them and sets its own X-Forwarded-* from what it
// trusts.
var forwardingHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-Ip"}

// removeHopHeaders deletes from h the hop-by-hop headers and those named in
// its Connection header.
func removeHopHeaders(h http.Header) {
	for _, v := range h["Connection"] {
		for name := range strings.SplitSeq(v, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, k := range hopHeaders {
		delete(h, k)
	}
}

// outboundHeader returns the header to send upstream for ex's request: a
// copy without hop-by-hop headers, Expect (the ingress has read the body)
// or the client's forwarding claims; with X-Forwarded-For set to the
// client's address as clientip.From works it out (through trusted proxies
// only, when the client_ip stage ran), X-Forwarded-Host and
// X-Forwarded-Proto to what this server received, and X-Request-ID to the
// request's id.
func outboundHeader(ex *actors.Exchange) http.Header {
	r := ex.Request
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	removeHopHeaders(h)
	delete(h, "Expect")
	for _, k := range forwardingHeaders {
		delete(h, k)
	}
	if ip := clientip.From(ex); ip.IsValid() {
		h["X-Forwarded-For"] = []string{ip.String()}
	}
	if r.Host != "" {
		h["X-Forwarded-Host"] = []string{r.Host}
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	h["X-Forwarded-Proto"] = []string{proto}
	if ex.RequestID != "" {
		h.Set(httpin.RequestIDHeader, ex.RequestID)
	}
	return h
}

// copyResponseHeader copies an upstream response's header into ex's
// response, without hop-by-hop headers. Content-Length goes with a
// streamed body (the body is the upstream's) or a HEAD, not with a
// buffered one (the ingress writes the body it has).
func copyResponseHeader(ex *actors.Exchange, from http.Header, streamed bool) {
	removeHopHeaders(from)
	to := ex.Response.Header()
	for k, v := range from {
		if k == "Content-Length" && !streamed && ex.Request.Method != http.MethodHead {
			continue
		}
		to[k] = v
	}
}
