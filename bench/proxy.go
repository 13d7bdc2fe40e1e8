package bench

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// The proxy scenario: a reverse proxy in front of a small upstream on
// loopback, served by troupe's upstream package (ProxyTroupe) and by
// net/http/httputil.ReverseProxy alone (ProxyNetHTTP). Both forward to the
// same ProxyUpstream, which the harness runs in the same process. This
// file holds what they share: the paths, the upstream, the connection
// pool's size and the conformance cases.

// ProxyPrefix is the prefix both proxies serve under, GET only, and strip
// before forwarding: GET ProxyPrefix+"/x" is forwarded as GET /x.
const ProxyPrefix = "/proxy"

// ProxyUpstreamPath is the upstream's one route; ProxyPath is where the
// load generator asks for it, through a proxy.
const (
	ProxyUpstreamPath = "/data"
	ProxyPath         = ProxyPrefix + ProxyUpstreamPath
)

// ProxyBody is the upstream's answer: 64 bytes of JSON.
const ProxyBody = `{"id":"0123456789","status":"ok","items":[1,2,3],"note":"proxy"}`

// ProxyIdleConns is the keep-alive pool of both proxies' transports, in
// all and per target: more than the load's connections, so that neither
// proxy closes and reopens upstream connections under load (troupe's
// default per target is 64, net/http's 2) and the scenario measures the
// proxies rather than connection set-up.
const ProxyIdleConns = 1024

// ProxyBulkhead is troupe's bulkhead limit in this scenario: more than the
// load's connections, so that it never refuses (its default, 100, would
// refuse part of a 256-connection load at once). It is still taken and
// released on every request.
const ProxyBulkhead = 1024

// ProxyUpstream is the upstream both proxies forward to: a plain net/http
// server that answers GET ProxyUpstreamPath with ProxyBody as
// application/json, and 404 to anything else. Its methods are safe for
// concurrent use; Start and Shutdown are each called once.
type ProxyUpstream struct {
	hits atomic.Int64

	plainServer
}

// NewProxyUpstream returns the upstream, not yet serving.
func NewProxyUpstream() *ProxyUpstream { return &ProxyUpstream{} }

// Start serves on addr ("" means 127.0.0.1 on a free port) until Shutdown.
func (u *ProxyUpstream) Start(addr string) error {
	body := []byte(ProxyBody)
	length := strconv.Itoa(len(body))
	mux := http.NewServeMux()
	mux.HandleFunc(http.MethodGet+" "+ProxyUpstreamPath, func(w http.ResponseWriter, _ *http.Request) {
		u.hits.Add(1)
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{length}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
	return u.serve(addr, mux)
}

// URL returns the upstream's base URL, http://127.0.0.1:PORT, once it
// serves.
func (u *ProxyUpstream) URL() string { return "http://" + u.Addr().String() }

// Hits returns how many times the upstream has answered ProxyBody, whoever
// asked.
func (u *ProxyUpstream) Hits() int64 { return u.hits.Load() }

// proxyTransport returns the transport of the plain proxy: the settings
// troupe's upstream package gives its own (upstream/transport.go), with
// the pool at ProxyIdleConns.
func proxyTransport() *http.Transport {
	d := &net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:           d.DialContext,
		MaxIdleConns:          ProxyIdleConns,
		MaxIdleConnsPerHost:   ProxyIdleConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     true,
	}
}

// ProxyCase is one request of the proxy scenario's conformance check: a
// GET of Path through a proxy, and what both proxies must answer.
type ProxyCase struct {
	Name       string
	Path       string
	WantStatus int
	// WantBody, when not "", is the exact body wanted.
	WantBody string
}

// ProxyCases are the conformance checks run on both proxies: the load
// generator's request (200 with ProxyBody) and a path the upstream does
// not serve (its 404, passed through).
var ProxyCases = []ProxyCase{
	{Name: "proxied", Path: ProxyPath, WantStatus: http.StatusOK, WantBody: ProxyBody},
	{Name: "upstream 404", Path: ProxyPrefix + "/missing", WantStatus: http.StatusNotFound, WantBody: "404 page not found\n"},
}

// Request returns the case's GET to base (scheme and host).
func (c ProxyCase) Request(base string) (*http.Request, error) {
	return http.NewRequest(http.MethodGet, base+c.Path, nil)
}

// Check returns nil if the answer is what the case wants: its status, its
// body, and for 200 the upstream's Content-Type.
func (c ProxyCase) Check(status int, h http.Header, body []byte) error {
	if status != c.WantStatus {
		return fmt.Errorf("%s: status %d, want %d (body %q)", c.Name, status, c.WantStatus, body)
	}
	if c.WantBody != "" && string(body) != c.WantBody {
		return fmt.Errorf("%s: body %q, want %q", c.Name, body, c.WantBody)
	}
	if status == http.StatusOK && h.Get("Content-Type") != "application/json" {
		return fmt.Errorf("%s: Content-Type %q, want application/json", c.Name, h.Get("Content-Type"))
	}
	return nil
}
