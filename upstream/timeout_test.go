package upstream

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// A connection that cannot be established within ConnectTimeout fails the
// attempt then, not at the request's deadline.
func TestConnectTimeout(t *testing.T) {
	blocked := func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done() // a dial that never completes by itself
		return nil, ctx.Err()
	}
	cfg := Config{Targets: []string{"http://192.0.2.1:80"}, ConnectTimeout: 100 * time.Millisecond, Retry: RetryConfig{MaxAttempts: 1}}
	p := proxy(t, cfg, ProxyConfig{}, WithDialContext(blocked))
	a := get(t, p, "/x", 5*time.Second)
	if a.status != http.StatusGatewayTimeout || a.took < 100*time.Millisecond || a.took > 2*time.Second {
		t.Errorf("blocked dial: %d after %v, want 504 after the 100ms connect timeout (not the 5s deadline)", a.status, a.took)
	}
}

// A target that does not send its response headers within
// Transport.ResponseHeaderTimeout fails the attempt then.
func TestResponseHeaderTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newUpstreamServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	cfg := Config{Targets: []string{srv.URL}, Retry: RetryConfig{MaxAttempts: 1},
		Transport: TransportConfig{ResponseHeaderTimeout: 100 * time.Millisecond}}
	p := proxy(t, cfg, ProxyConfig{})
	a := get(t, p, "/x", 5*time.Second)
	if a.status != http.StatusGatewayTimeout || a.took < 100*time.Millisecond || a.took > 2*time.Second {
		t.Errorf("silent upstream: %d after %v, want 504 after the 100ms response header timeout", a.status, a.took)
	}
}

// AttemptTimeout bounds each attempt, and the deadline header sent with
// each says the attempt's time, not the request's: a GET to a target that
// never answers is tried twice, 100ms each, and then fails.
func TestAttemptTimeout(t *testing.T) {
	var mu sync.Mutex
	var sent []int
	srv := newUpstreamServer(t, func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.Header.Get(DefaultDeadlineHeader))
		mu.Lock()
		sent = append(sent, ms)
		mu.Unlock()
		<-r.Context().Done()
	})
	cfg := Config{Targets: []string{srv.URL}, AttemptTimeout: 100 * time.Millisecond,
		Retry: RetryConfig{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}}
	p := proxy(t, cfg, ProxyConfig{})
	a := get(t, p, "/x", 5*time.Second)
	if a.status != http.StatusGatewayTimeout || a.took < 200*time.Millisecond || a.took > 2*time.Second {
		t.Errorf("hanging upstream: %d after %v, want 504 after two 100ms attempts", a.status, a.took)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 2 {
		t.Fatalf("attempts = %d, want 2", len(sent))
	}
	for i, ms := range sent {
		if ms <= 0 || ms > 100 {
			t.Errorf("attempt %d: %s %d, want the attempt's own 100ms or less", i+1, DefaultDeadlineHeader, ms)
		}
	}
}

// TransportConfig reaches the upstream's http.Transport.
func TestTransportSettings(t *testing.T) {
	cfg := Config{Targets: []string{"http://127.0.0.1:1"}, ConnectTimeout: 300 * time.Millisecond, Transport: TransportConfig{
		MaxIdleConns: 7, MaxIdleConnsPerHost: 5, MaxConnsPerHost: 9, IdleConnTimeout: 11 * time.Second,
		ResponseHeaderTimeout: 13 * time.Second, TLSHandshakeTimeout: 17 * time.Second, DisableKeepAlives: true,
	}}.withDefaults()
	tr := newTransport(cfg, nil)
	if tr.MaxIdleConns != 7 || tr.MaxIdleConnsPerHost != 5 || tr.MaxConnsPerHost != 9 || tr.IdleConnTimeout != 11*time.Second ||
		tr.ResponseHeaderTimeout != 13*time.Second || tr.TLSHandshakeTimeout != 17*time.Second || !tr.DisableKeepAlives {
		t.Errorf("transport = %+v, want the configured pool sizes and timeouts", tr)
	}
	if !tr.DisableCompression || tr.Proxy != nil {
		t.Errorf("transport compresses (%v) or uses a proxy from the environment (%v); want neither", !tr.DisableCompression, tr.Proxy != nil)
	}
	d := Config{Targets: []string{"http://127.0.0.1:1"}}.withDefaults()
	if dt := newTransport(d, nil); dt.MaxIdleConnsPerHost < 2 || dt.IdleConnTimeout != 90*time.Second {
		t.Errorf("default transport: %d idle per host, idle timeout %v; want a real keep-alive pool, 90s", dt.MaxIdleConnsPerHost, dt.IdleConnTimeout)
	}
}
