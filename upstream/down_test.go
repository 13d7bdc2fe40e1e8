package upstream

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
)

// downConfig trips on the 5th failure in a row and stays open a minute:
// longer than the test.
func downConfig(targets ...string) Config {
	return Config{Targets: targets, Breaker: BreakerConfig{ConsecutiveFailures: 5, OpenTimeout: time.Minute}}
}

// checkOpenRejections sends 1,000 requests through p, whose breaker is
// open: each gets 503 problem+json with a Retry-After of about a minute,
// and (without the race detector) the p99 of the handler's time is under
// a millisecond.
func checkOpenRejections(t *testing.T, p *Proxy) {
	t.Helper()
	took := make([]time.Duration, 0, 1000)
	for range 1000 {
		a := get(t, p, "/x", 5*time.Second)
		if a.status != http.StatusServiceUnavailable || a.header.Get("Content-Type") != actors.ProblemContentType {
			t.Fatalf("with the breaker open: %d %s %s, want 503 problem+json", a.status, a.header.Get("Content-Type"), a.body)
		}
		if ra := a.header.Get("Retry-After"); ra != "60" && ra != "59" {
			t.Fatalf("Retry-After = %q, want the time left open, about 60", ra)
		}
		took = append(took, a.took)
	}
	if got := p99(took); !raceEnabled && got >= time.Millisecond {
		t.Errorf("p99 of the open breaker's 503 = %v, want < 1ms", got)
	} else {
		t.Logf("p99 of the open breaker's 503 through the handler: %v (race detector: %v)", got, raceEnabled)
	}
}

// An upstream answering 500: it gets exactly the trip threshold of calls
// (retries included: they go through the breaker too), then none, and the
// rejections are fast.
func TestDownFailing(t *testing.T) {
	srv := newUpstreamServer(t, status(http.StatusInternalServerError))
	p := proxy(t, downConfig(srv.URL), ProxyConfig{})
	for i := range 5 {
		if a := get(t, p, "/x", 5*time.Second); a.status != http.StatusInternalServerError {
			t.Fatalf("request %d: %d, want the upstream's 500", i, a.status)
		}
	}
	if got := p.up.Status().State; got != Open {
		t.Fatalf("after 5 failures the breaker is %s, want open", got)
	}
	checkOpenRejections(t, p)
	if got := srv.calls.Load(); got != 5 {
		t.Errorf("the upstream got %d calls, want 5: the threshold, then none while open", got)
	}
}

// An upstream that is down (connection refused): the same, counted at the
// dialler.
func TestDownRefusing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now: connections are refused
	var dials atomic.Int64
	var d net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return d.DialContext(ctx, network, addr)
	}
	p := proxy(t, downConfig("http://"+addr), ProxyConfig{}, WithDialContext(dial))
	// Connection errors are retried (twice here, within the budget's
	// floor), so the breaker may open within fewer requests than 5.
	for i := 0; p.up.Status().State != Open; i++ {
		if a := get(t, p, "/x", 5*time.Second); a.status != http.StatusBadGateway || i == 5 {
			t.Fatalf("request %d: %d %s, want 502 until the breaker opens, within 5 requests", i, a.status, a.body)
		}
	}
	checkOpenRejections(t, p)
	if got := dials.Load(); got != 5 {
		t.Errorf("%d connection attempts, want 5", got)
	}
}

// The breaker's 503 carries the problem detail and the fallback, when
// configured, replaces it.
func TestOpenFallback(t *testing.T) {
	srv := newUpstreamServer(t, status(http.StatusBadGateway))
	cfg := downConfig(srv.URL)
	cfg.Breaker.ConsecutiveFailures = 1
	cfg.Retry.MaxAttempts = 1
	p := proxy(t, cfg, ProxyConfig{Fallback: &Fallback{ContentType: "application/json", Body: `{"items":[]}`}})
	get(t, p, "/x", time.Second) // trips
	a := get(t, p, "/x", time.Second)
	if a.status != http.StatusOK || a.body != `{"items":[]}` || a.header.Get("Content-Type") != "application/json" {
		t.Errorf("open with a fallback: %d %q %q, want 200 and the fallback", a.status, a.header.Get("Content-Type"), a.body)
	}
	plain := proxy(t, cfg, ProxyConfig{})
	get(t, plain, "/x", time.Second)
	if a := get(t, plain, "/x", time.Second); !strings.Contains(a.body, "circuit breaker is open") || !strings.Contains(a.body, `"request_id":"test-request"`) {
		t.Errorf("open without a fallback: %s, want the problem document", a.body)
	}
	if calls := srv.calls.Load(); calls != 2 {
		t.Errorf("upstream calls = %d, want 2 (one per breaker)", calls)
	}
}
