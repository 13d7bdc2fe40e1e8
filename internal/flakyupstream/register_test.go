package flakyupstream

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/config"
	"go.uber.org/zap"
)

// snippet is what the default configuration adds for the demo upstream.
const snippet = `
stages:
  # The demo upstream: an HTTP server on a loopback port of its own, which
  # GET /demo/upstream proxies to. Make it fail or slow down while it runs:
  #   curl -X PUT 127.0.0.1:9090/demo/upstream -d '{"error_rate":1.0,"latency":"250ms"}'
  demo-upstream:
    kind: demo_upstream
    options: {error_rate: 0, latency: 0s}

groups:
  - prefix: /demo
    routes:
      # Proxied to the demo upstream through a circuit breaker (it opens
      # after 5 failures in a row, for 10s: then 503 with Retry-After at
      # once), one retry within a 10% budget, at most 64 calls at once, and
      # a 1s deadline (504), which the upstream gets as Request-Timeout.
      - method: GET
        path: /upstream
        handler: demo_proxy
        timeout: 1s
        options:
          path: /hello
          breaker: {consecutive_failures: 5, open_timeout: 10s}
          retry: {max_attempts: 2}
          bulkhead: {max_concurrent: 64}
`

// demoApp serves the snippet on loopback.
type demoApp struct {
	base, admin string
	client      *http.Client
}

func startDemo(t *testing.T) *demoApp {
	t.Helper()
	var reg config.Registry
	Register(&reg)
	cfg, err := config.Parse("demo.yaml", []byte(snippet), &reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.App.HTTP.Addr, cfg.App.Admin.Addr = "127.0.0.1:0", "127.0.0.1:0"
	app := cfg.Build(troupe.WithLogger(zap.NewNop()))
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return &demoApp{base: "http://" + app.Addr().String(), admin: "http://" + app.AdminAddr().String(), client: &http.Client{Transport: tr}}
}

func (d *demoApp) do(t *testing.T, method, url, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// The default configuration's demo: healthy, failing (the breaker opens),
// slow (504 at the deadline), switched on the admin listener.
func TestDemoSnippet(t *testing.T) {
	d := startDemo(t)
	code, _, body := d.do(t, "GET", d.base+"/demo/upstream", "")
	var got map[string]string
	if err := json.Unmarshal([]byte(body), &got); err != nil || code != 200 || got["path"] != "/hello" || got["request_timeout_ms"] == "" {
		t.Fatalf("healthy: %d %s, want 200 from the demo upstream with its path and deadline", code, body)
	}

	if code, _, body := d.do(t, "PUT", d.admin+"/demo/upstream", `{"error_rate":1.0}`); code != 200 {
		t.Fatalf("PUT /demo/upstream = %d %s", code, body)
	}
	var codes []int
	for range 6 {
		code, _, _ := d.do(t, "GET", d.base+"/demo/upstream", "")
		codes = append(codes, code)
	}
	// Each failing request is retried within the budget's floor, so the
	// breaker (5 failures in a row) opens on the third request.
	if want := []int{503, 503, 503, 503, 503, 503}; !slices.Equal(codes, want) {
		t.Errorf("failing: %v, want %v", codes, want)
	}
	code, h, body := d.do(t, "GET", d.base+"/demo/upstream", "")
	if code != 503 || h.Get("Retry-After") == "" || !strings.Contains(body, "circuit breaker is open") {
		t.Errorf("open: %d Retry-After %q %s", code, h.Get("Retry-After"), body)
	}
	_, _, metrics := d.do(t, "GET", d.admin+"/metrics", "")
	if !strings.Contains(metrics, `troupe_upstream_breaker_state{state="open",upstream="GET /demo/upstream"} 1`) {
		t.Error("/metrics does not show the open breaker")
	}
}

// A slow demo upstream gets the route's deadline: 504 at 1s.
func TestDemoSlow(t *testing.T) {
	d := startDemo(t)
	if code, _, body := d.do(t, "PUT", d.admin+"/demo/upstream", `{"latency":"5s"}`); code != 200 {
		t.Fatalf("PUT = %d %s", code, body)
	}
	begin := time.Now()
	code, _, _ := d.do(t, "GET", d.base+"/demo/upstream", "")
	// 504 at the 1 s deadline, nowhere near the upstream's 5 s (the slack
	// is for a loaded machine).
	if took := time.Since(begin); code != 504 || took < time.Second || took > 4*time.Second {
		t.Errorf("slow: %d after %v, want 504 at 1s", code, took)
	}
}
