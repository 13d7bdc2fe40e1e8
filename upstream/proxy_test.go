package upstream

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/routing"
	"github.com/troupe-go/troupe/stages/clientip"
)

// seen is what the echo upstream received.
type seen struct {
	Method string      `json:"method"`
	Path   string      `json:"path"` // escaped
	Query  string      `json:"query"`
	Host   string      `json:"host"`
	Header http.Header `json:"header"`
	Body   string      `json:"body"`
}

// echo answers with what it received, as JSON.
func echo(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(seen{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Host: r.Host, Header: r.Header, Body: string(b)})
}

func decodeSeen(t *testing.T, body string) seen {
	t.Helper()
	var s seen
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("upstream answer %q: %v", body, err)
	}
	return s
}

// The request goes upstream with its method, rewritten path, query, body
// and end-to-end headers; hop-by-hop headers and the client's forwarding
// claims do not; X-Forwarded-*, X-Request-ID and the deadline are set.
func TestProxyForwardsRequest(t *testing.T) {
	srv := newUpstreamServer(t, echo)
	p := proxy(t, Config{Targets: []string{srv.URL + "/base"}}, ProxyConfig{StripPrefix: "/api"})
	ex := exchange(t.Context(), http.MethodPost, "/api/items/a%20b?x=1&y=a+b%20c", []byte(`{"name":"lamp"}`), time.Second)
	ex.Path = "/api/items/a b" // the router's canonical path
	h := ex.Request.Header
	h.Set("Content-Type", "application/json")
	h.Set("X-Custom", "yes")
	h.Set("Connection", "keep-alive, X-Hop")
	h.Set("X-Hop", "named in Connection")
	h.Set("Keep-Alive", "timeout=5")
	h.Set("Proxy-Authorization", "Basic eDp5")
	h.Set("Te", "trailers")
	h.Set("Upgrade", "h2c")
	h.Set("Expect", "100-continue")
	h.Set("X-Forwarded-For", "6.6.6.6")
	h.Set("X-Forwarded-Host", "evil.example")
	h.Set("X-Forwarded-Proto", "https")
	h.Set("Forwarded", "for=6.6.6.6")
	h.Set("X-Real-Ip", "6.6.6.6")
	h.Set("Request-Timeout", "999999")
	a := serve(p, ex)
	if a.status != http.StatusOK {
		t.Fatalf("proxy answered %d %s", a.status, a.body)
	}
	s := decodeSeen(t, a.body)
	if s.Method != http.MethodPost || s.Path != "/base/items/a%20b" || s.Query != "x=1&y=a+b%20c" || s.Body != `{"name":"lamp"}` {
		t.Errorf("upstream saw %s %s ? %s body %q; want POST /base/items/a%%20b ? x=1&y=a+b%%20c and the body", s.Method, s.Path, s.Query, s.Body)
	}
	if want := strings.TrimPrefix(srv.URL, "http://"); s.Host != want {
		t.Errorf("Host = %q, want the target's, %q", s.Host, want)
	}
	for _, k := range []string{"X-Hop", "Keep-Alive", "Proxy-Authorization", "Te", "Upgrade", "Expect", "Forwarded", "X-Real-Ip"} {
		if v, ok := s.Header[k]; ok {
			t.Errorf("upstream got %s: %q, want it dropped", k, v)
		}
	}
	want := map[string]string{
		"X-Custom":          "yes",
		"Content-Type":      "application/json",
		"X-Forwarded-For":   "192.0.2.1", // httptest's peer: no client_ip stage trusts it to forward
		"X-Forwarded-Host":  "example.com",
		"X-Forwarded-Proto": "http",
		"X-Request-Id":      "test-request",
	}
	for k, v := range want {
		if got := strings.Join(s.Header[k], ","); got != v {
			t.Errorf("upstream got %s: %q, want %q", k, got, v)
		}
	}
	if ms, err := strconv.Atoi(s.Header.Get("Request-Timeout")); err != nil || ms <= 900 || ms > 1000 {
		t.Errorf("Request-Timeout = %q, want the milliseconds left of 1s", s.Header.Get("Request-Timeout"))
	}
}

// The response comes back with its status, body and end-to-end headers;
// hop-by-hop ones stay behind. Content-Length goes with a streamed body
// (it is the upstream's), not with a buffered one.
func TestProxyResponseHeaders(t *testing.T) {
	for _, buffer := range []bool{false, true} {
		t.Run(fmt.Sprintf("buffer=%v", buffer), func(t *testing.T) { testProxyResponseHeaders(t, buffer) })
	}
}

func testProxyResponseHeaders(t *testing.T, buffer bool) {
	srv := newUpstreamServer(t, func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Connection", "X-Up-Hop")
		h.Set("X-Up-Hop", "1")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("X-Up", "yes")
		h.Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("short and stout"))
	})
	p := proxy(t, Config{Targets: []string{srv.URL}}, ProxyConfig{BufferResponse: buffer})
	a := get(t, p, "/x", time.Second)
	if a.status != http.StatusTeapot || a.body != "short and stout" || a.header.Get("X-Up") != "yes" || a.header.Get("Content-Type") != "text/plain" {
		t.Errorf("answer %d %q %v, want the upstream's 418, body and headers", a.status, a.body, a.header)
	}
	if a.streamed == buffer {
		t.Errorf("streamed %v with buffer_response %v", a.streamed, buffer)
	}
	for _, k := range []string{"Connection", "X-Up-Hop", "Keep-Alive"} {
		if v, ok := a.header[k]; ok {
			t.Errorf("answer has %s: %q, want it dropped", k, v)
		}
	}
	if got, want := a.header.Get("Content-Length"), map[bool]string{false: "15", true: ""}[buffer]; got != want {
		t.Errorf("Content-Length %q, want %q", got, want)
	}
}

// X-Forwarded-For carries what the client_ip stage decided: the address
// in the client's X-Forwarded-For only when the peer is a trusted proxy.
func TestProxyForwardedForTrust(t *testing.T) {
	srv := newUpstreamServer(t, echo)
	a := startApp(t, func(a *troupe.App) {
		trusting, err := clientip.New("trust", clientip.Config{TrustedProxies: []string{"127.0.0.1/32"}})
		if err != nil {
			t.Fatal(err)
		}
		distrusting, err := clientip.New("distrust", clientip.Config{TrustedProxies: []string{"10.0.0.0/8"}})
		if err != nil {
			t.Fatal(err)
		}
		o := Options{Config: Config{Targets: []string{srv.URL}}}
		a.Handle("GET", "/trusted", route(t, a, "trusted", o).Spec("GET /trusted")).With(trusting)
		a.Handle("GET", "/untrusted", route(t, a, "untrusted", o).Spec("GET /untrusted")).With(distrusting)
		a.Handle("GET", "/bare", route(t, a, "bare", o).Spec("GET /bare"))
	})
	tests := []struct {
		path string
		want string
	}{
		{path: "/trusted", want: "203.0.113.7"},
		{path: "/untrusted", want: "127.0.0.1"},
		{path: "/bare", want: "127.0.0.1"},
	}
	for _, tt := range tests {
		r := a.do("GET", tt.path, "", "X-Forwarded-For", "198.51.100.1, 203.0.113.7", "Forwarded", "for=198.51.100.2")
		if r.status != http.StatusOK {
			t.Fatalf("GET %s = %d %s", tt.path, r.status, r.body)
		}
		s := decodeSeen(t, r.body)
		if got := strings.Join(s.Header["X-Forwarded-For"], ","); got != tt.want {
			t.Errorf("GET %s from 127.0.0.1 with X-Forwarded-For: upstream got X-Forwarded-For %q, want %q", tt.path, got, tt.want)
		}
		if _, ok := s.Header["Forwarded"]; ok {
			t.Errorf("GET %s: the client's Forwarded header went upstream", tt.path)
		}
	}
}

// The path option fills the route's parameters in.
func TestProxyPathTemplate(t *testing.T) {
	srv := newUpstreamServer(t, echo)
	p := proxy(t, Config{Targets: []string{srv.URL}}, ProxyConfig{Path: "/v2/{kind}/x/{rest...}"})
	ex := exchange(t.Context(), http.MethodGet, "/any", nil, time.Second)
	ex.Params = routing.ParamsOf("kind", "a b/c", "rest", "d/e%2Ff")
	s := decodeSeen(t, serve(p, ex).body)
	if want := "/v2/a%20b%2Fc/x/d/e%2Ff"; s.Path != want {
		t.Errorf("upstream path %q, want %q", s.Path, want)
	}
}

// preserve_host sends the client's Host.
func TestProxyPreserveHost(t *testing.T) {
	srv := newUpstreamServer(t, echo)
	p := proxy(t, Config{Targets: []string{srv.URL}}, ProxyConfig{PreserveHost: true})
	if s := decodeSeen(t, get(t, p, "/x", time.Second).body); s.Host != "example.com" {
		t.Errorf("Host = %q, want the client's, example.com", s.Host)
	}
}

// A HEAD keeps the upstream's Content-Length (there is no body to count).
func TestProxyHead(t *testing.T) {
	srv := newUpstreamServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "1234")
	})
	p := proxy(t, Config{Targets: []string{srv.URL}}, ProxyConfig{})
	a := serve(p, exchange(t.Context(), http.MethodHead, "/x", nil, time.Second))
	if a.status != http.StatusOK || a.header.Get("Content-Length") != "1234" || a.body != "" {
		t.Errorf("HEAD: %d, Content-Length %q, body %q; want 200, 1234, none", a.status, a.header.Get("Content-Length"), a.body)
	}
}

// A buffered response body past max_response_bytes is a 502, whether its
// length is announced or not.
func TestProxyResponseTooLarge(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		srv := newUpstreamServer(t, func(w http.ResponseWriter, _ *http.Request) {
			if !chunked {
				w.Header().Set("Content-Length", "2048")
			}
			_, _ = w.Write(make([]byte, 2048))
		})
		p := proxy(t, Config{Targets: []string{srv.URL}, MaxResponseBytes: 1024, Retry: RetryConfig{MaxAttempts: 1}}, ProxyConfig{BufferResponse: true})
		if a := get(t, p, "/x", time.Second); a.status != http.StatusBadGateway {
			t.Errorf("2 KiB response (chunked %v) with a 1 KiB limit: %d, want 502", chunked, a.status)
		}
	}
}
