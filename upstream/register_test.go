package upstream

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/config"
	"go.uber.org/zap"
)

// serveConfig parses src with the proxy kind registered, starts the app on
// loopback (admin too) and returns its and the admin's base URLs.
func serveConfig(t *testing.T, src string) (base, admin string) {
	t.Helper()
	var reg config.Registry
	Register(&reg)
	cfg, err := config.Parse("test.yaml", []byte(src), &reg)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	cfg.App.HTTP.Addr, cfg.App.Admin.Addr = "127.0.0.1:0", "127.0.0.1:0"
	app := cfg.Build(troupe.WithLogger(zap.NewNop()))
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return "http://" + app.Addr().String(), "http://" + app.AdminAddr().String()
}

func fetch(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// A configured proxy route forwards, trips its breaker, and shows it all on
// /metrics.
func TestRegisterServes(t *testing.T) {
	srv := newUpstreamServer(t, status(http.StatusServiceUnavailable))
	base, admin := serveConfig(t, `
routes:
  - method: GET
    path: /up/{rest...}
    handler: proxy
    timeout: 2s
    options:
      name: demo
      targets: ["`+srv.URL+`"]
      strip_prefix: /up
      breaker: {consecutive_failures: 2, open_timeout: 1m}
      retry: {max_attempts: 1}
      bulkhead: {max_concurrent: 8}
`)
	for range 2 {
		if code, _, _ := fetch(t, base+"/up/x"); code != http.StatusServiceUnavailable {
			t.Fatalf("GET /up/x = %d, want the upstream's 503", code)
		}
	}
	code, h, body := fetch(t, base+"/up/x")
	if code != http.StatusServiceUnavailable || h.Get("Retry-After") != "60" || !strings.Contains(body, "circuit breaker is open") {
		t.Fatalf("open: %d, Retry-After %q, %s", code, h.Get("Retry-After"), body)
	}
	if srv.calls.Load() != 2 {
		t.Errorf("upstream calls = %d, want 2", srv.calls.Load())
	}
	_, _, metrics := fetch(t, admin+"/metrics")
	for _, want := range []string{
		`troupe_upstream_breaker_state{state="open",upstream="demo"} 1`,
		`troupe_upstream_breaker_transitions_total{from="closed",to="open",upstream="demo"} 1`,
		`troupe_upstream_attempts_total{result="failed_status",upstream="demo"} 2`,
		`troupe_upstream_rejections_total{reason="open",upstream="demo"} 1`,
		`troupe_upstream_target_healthy{target="` + srv.URL + `",upstream="demo"} 1`,
		`troupe_upstream_bulkhead_limit{upstream="demo"} 8`, // its max_concurrent: two calls are not enough to move it
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// Bad options are reported at their line, all at once.
func TestRegisterErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want []string
	}{
		{name: "no targets", give: "{}", want: []string{"test.yaml:7: proxy: upstream \"GET /p\": targets: at least one is required"}},
		{name: "unknown option", give: "{targets: [\"http://a\"], retries: 3}", want: []string{`test.yaml:7: unknown option "retries"`}},
		{name: "unknown breaker option", give: "\n        targets: [\"http://a\"]\n        breaker: {threshold: 3}", want: []string{`test.yaml:9: unknown option "threshold" (want one of buckets, consecutive_failures,`}},
		{name: "bad values", give: "{targets: [\"ftp://a\"], balance: random, breaker: {failure_ratio: 2, failure_statuses: [600]}, retry: {multiplier: 0.5}, strip_prefix: x}",
			want: []string{`target "ftp://a": want http:// or https://`, `balance: "random" is neither`, "failure_ratio: must be from 0 to 1", `"600" is neither a status code`, "multiplier must be at least 1"}},
		{name: "bad rewrite", give: "{targets: [\"http://a\"], strip_prefix: x}", want: []string{`test.yaml:7: proxy: strip_prefix "x" must start with "/"`}},
		{name: "bad duration", give: "{targets: [\"http://a\"], connect_timeout: soon}", want: []string{"test.yaml:7: bad option value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reg config.Registry
			Register(&reg)
			src := "\nroutes:\n  - method: GET\n    path: /p\n    handler: proxy\n    options:\n      " + tt.give + "\n"
			_, err := config.Parse("test.yaml", []byte(src), &reg)
			if err == nil {
				t.Fatalf("Parse(%q) = nil, want errors", tt.give)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Parse(%q) = %v, want it to contain %q", tt.give, err, w)
				}
			}
		})
	}
}

// Zero values take the documented defaults.
func TestConfigDefaults(t *testing.T) {
	c := Config{Name: "x", Targets: []string{"http://a"}}.withDefaults()
	if c.Balance != RoundRobin || c.ConnectTimeout != 2*time.Second || c.MaxResponseBytes != 10<<20 || c.DeadlineHeader != "Request-Timeout" {
		t.Errorf("defaults: %+v", c)
	}
	b := c.Breaker
	if b.ConsecutiveFailures != 5 || b.OpenTimeout != 30*time.Second || b.HalfOpenRequests != 1 || b.Window != 10*time.Second ||
		b.Buckets != 10 || b.MinimumCalls != 20 || strings.Join(b.FailureStatuses, ",") != "5xx" {
		t.Errorf("breaker defaults: %+v", b)
	}
	r := c.Retry
	if r.MaxAttempts != 2 || r.Budget.Ratio != 0.1 || r.Budget.MinRetries != 3 || r.Budget.Window != 10*time.Second || r.MinTimeLeft != 5*time.Millisecond {
		t.Errorf("retry defaults: %+v", r)
	}
	if c.Bulkhead.MaxConcurrent != 100 || c.Bulkhead.MaxWaiting != 0 {
		t.Errorf("bulkhead defaults: %+v", c.Bulkhead)
	}
	if err := c.validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

// Two routes that name one upstream declared under upstreams share its
// breaker: tripped through one, the other answers 503 with Retry-After and
// calls nothing; the upstream is on /metrics once, by its name.
func TestSharedUpstream(t *testing.T) {
	srv := newUpstreamServer(t, status(http.StatusInternalServerError))
	base, admin := serveConfig(t, `
upstreams:
  scoring:
    targets: ["`+srv.URL+`"]
    breaker: {consecutive_failures: 2, open_timeout: 1m}
    retry: {max_attempts: 1}
  unused:
    targets: ["http://127.0.0.1:1"]
routes:
  - {method: GET, path: "/a/{rest...}", handler: proxy, options: {upstream: scoring, strip_prefix: /a}}
  - {method: GET, path: "/b/{rest...}", handler: proxy, options: {upstream: scoring, strip_prefix: /b, fallback: {status: 200, body: fallback}}}
  - {method: GET, path: "/own/{rest...}", handler: proxy, options: {targets: ["`+srv.URL+`"], retry: {max_attempts: 1}}}
`)
	for range 2 {
		if code, _, _ := fetch(t, base+"/a/x"); code != http.StatusInternalServerError {
			t.Fatalf("GET /a/x = %d, want the upstream's 500", code)
		}
	}
	if code, _, body := fetch(t, base+"/b/x"); code != http.StatusOK || body != "fallback" {
		t.Errorf("GET /b/x with the shared breaker open = %d %q, want the route's fallback", code, body)
	}
	code, h, body := fetch(t, base+"/a/x")
	if code != http.StatusServiceUnavailable || h.Get("Retry-After") != "60" || !strings.Contains(body, "upstream scoring is unavailable") {
		t.Errorf("GET /a/x, open = %d, Retry-After %q, %s", code, h.Get("Retry-After"), body)
	}
	if n := srv.calls.Load(); n != 2 {
		t.Errorf("upstream calls = %d, want 2: none once the breaker is open", n)
	}
	if code, _, _ := fetch(t, base+"/own/x"); code != http.StatusInternalServerError {
		t.Errorf("GET /own/x = %d: a route with an upstream of its own has a breaker of its own", code)
	}
	_, _, metrics := fetch(t, admin+"/metrics")
	for _, want := range []string{
		`troupe_upstream_breaker_state{state="open",upstream="scoring"} 1`,
		`troupe_upstream_attempts_total{result="failed_status",upstream="scoring"} 2`,
		`troupe_upstream_rejections_total{reason="open",upstream="scoring"} 2`,
		`troupe_upstream_breaker_state{state="closed",upstream="unused"} 1`,
		`troupe_upstream_breaker_state{state="closed",upstream="GET /own/{rest...}"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// A shared upstream's errors come at their lines, all at once: an
// undeclared name where it is named, the upstream's own options beside
// upstream: NAME, and an upstream declared with errors (not again where it
// is named).
func TestSharedUpstreamErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want []string // every error, in order
	}{
		{
			name: "undeclared",
			give: `
upstreams:
  scoring: {targets: ["http://a"]}
routes:
  - method: GET
    path: /p
    handler: proxy
    options:
      upstream: scorng
`,
			want: []string{`test.yaml:9: option upstream: "scorng" is not declared under upstreams (declared: scoring)`},
		},
		{
			name: "the upstream's options on the route",
			give: `
upstreams:
  scoring: {targets: ["http://a"]}
routes:
  - method: GET
    path: /p
    handler: proxy
    options:
      upstream: scoring
      strip_prefix: /p
      targets: ["http://b"]
      breaker:
        consecutive_failures: 3
      name: x
`,
			want: []string{
				`test.yaml:11: targets: set on the upstream scoring (under upstreams), not on the route`,
				`test.yaml:12: breaker: set on the upstream scoring (under upstreams), not on the route`,
				`test.yaml:14: name: set on the upstream scoring (under upstreams), not on the route`,
			},
		},
		{
			name: "declared with errors",
			give: `
upstreams:
  scoring:
    breaker: {failure_ratio: 2}
  named:
    name: other
    targets: ["http://a"]
routes:
  - {method: GET, path: /p, handler: proxy, options: {upstream: scoring}}
  - {method: GET, path: /q, handler: proxy, options: {upstream: scoring}}
  - {method: GET, path: /r, handler: proxy, options: {upstream: named, strip_prefix: r}}
`,
			want: []string{
				`test.yaml:4: upstream "scoring": targets: at least one is required; breaker: failure_ratio: must be from 0 to 1`,
				`test.yaml:6: upstreams: "named": leave name out: an upstream's name is its key`,
				`test.yaml:11: proxy: strip_prefix "r" must start with "/"`,
			},
		},
		{
			name: "bad route option beside a good name",
			give: `
upstreams:
  scoring: {targets: ["http://a"]}
routes:
  - {method: GET, path: /p, handler: proxy, options: {upstream: scoring, strip_prefix: p, retries: 2}}
`,
			want: []string{`test.yaml:5: unknown option "retries"`, `test.yaml:5: proxy: strip_prefix "p" must start with "/"`},
		},
		{
			name: "a URL for a name",
			give: `
routes:
  - {method: GET, path: /p, handler: proxy, options: {upstream: "http://a"}}
`,
			want: []string{`test.yaml:3: proxy: upstream names an upstream declared under upstreams; for the URL of a target of the route's own, write targets: ["http://a"]`},
		},
		{
			name: "not a mapping",
			give: `
upstreams:
  scoring: http://a
routes:
  - {method: GET, path: /p, handler: proxy, options: {upstream: scoring}}
`,
			want: []string{`test.yaml:3: upstreams: "scoring" must be a mapping of its options, got "http://a"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reg config.Registry
			Register(&reg)
			_, err := config.Parse("test.yaml", []byte(tt.give), &reg)
			if err == nil {
				t.Fatalf("Parse = nil, want %q", tt.want)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tt.want) {
				t.Fatalf("Parse reported %d errors, want %d:\n%v", len(got), len(tt.want), err)
			}
			for i := range tt.want {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("error %d = %q, want it to start with %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// The section is registered once, whoever asks first.
func TestRegisterSectionTwice(t *testing.T) {
	var reg config.Registry
	RegisterSection(&reg)
	Register(&reg)
	RegisterSection(&reg)
	if got := reg.Sections(); len(got) != 1 || got[0] != SectionKey {
		t.Errorf("Sections() = %q, want [upstreams]", got)
	}
}
