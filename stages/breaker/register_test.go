package breaker_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages/breaker"
	"go.uber.org/zap"
)

// registry has the breaker kind and a handler kind "orders" that fails
// (500) whenever its stage's database is down.
func registry(d *db) *config.Registry {
	reg := &config.Registry{}
	breaker.Register(reg)
	reg.RegisterHandler("orders", config.Kind{New: func(string, config.Options) (*actors.Spec, error) {
		return &actors.Spec{Kind: actors.Stateless, Stage: actors.StageFunc(d.handler)}, nil
	}})
	return reg
}

// source is a configuration whose stage "db" is a breaker with the given
// options (on line 4), in front of GET /orders.
func source(options string) string {
	return "stages:\n  db:\n    kind: breaker\n    options: " + options + "\nroutes:\n  - {method: GET, path: /orders, handler: orders, stages: [db]}\n"
}

func TestRegister(t *testing.T) {
	cfg, err := config.Parse("b.yaml", []byte(source("{consecutive_failures: 2, open_timeout: 1m, failure_ratio: 0.5, "+
		"minimum_calls: 4, window: 30s, buckets: 3, half_open_requests: 2, slow_call_duration: 2s, failure_statuses: [5xx, 429], "+
		"fallback: {status: 200, content_type: application/json, body: '[]'}}")), registry(newDB()))
	if err != nil {
		t.Fatal(err)
	}
	spec := cfg.Stages["db"]
	if spec.Kind != actors.Stateless || spec.Priority != breaker.Priority || breaker.StateOf(spec) != breaker.Closed {
		t.Errorf("spec = %s %s, breaker %s; want stateless %s, closed", spec.Kind, spec.Priority, breaker.StateOf(spec), breaker.Priority)
	}
}

// Bad options are reported at their FILE:LINE, on the line of their key
// when they have one.
func TestRegisterRejects(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "ratio", give: "{consecutive_failures: 2,\n      failure_ratio: 2}", want: `b.yaml:5: breaker "db": failure_ratio: must be from 0 to 1, got 2`},
		{name: "statuses", give: "\n      failure_statuses: [5xx, teapot]", want: `b.yaml:5: breaker "db": failure_statuses: "teapot" is neither a status code`},
		{name: "fallback status", give: "{fallback: {status: 42}}", want: `b.yaml:4: breaker "db": fallback: status must be from 200 to 599, got 42`},
		{name: "unknown option", give: "{open_timout: 1m}", want: `b.yaml:4: unknown option "open_timout"`},
		{name: "bad duration", give: "{open_timeout: soon}", want: "b.yaml:4"},
		{name: "negative count", give: "{consecutive_failures: -1}", want: "b.yaml:4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("b.yaml", []byte(source(tt.give)), registry(newDB()))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%s) = %v, want an error containing %q", tt.give, err, tt.want)
			}
		})
	}
}

// A configured breaker shows on the admin listener's /metrics, added by
// the kind itself: its state, its transitions and its refusals.
func TestMetricsOnAdmin(t *testing.T) {
	d := newDB()
	cfg, err := config.Parse("b.yaml", []byte(source("{consecutive_failures: 1, open_timeout: 1h}")), registry(d))
	if err != nil {
		t.Fatal(err)
	}
	cfg.App.HTTP.Addr, cfg.App.Admin.Addr = "127.0.0.1:0", "127.0.0.1:0"
	app := cfg.Build(troupe.WithLogger(zap.NewNop()))
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	get := func(url string) (int, string) {
		t.Helper()
		res, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	base, admin := "http://"+app.Addr().String(), "http://"+app.AdminAddr().String()

	_, body := get(admin + "/metrics")
	if !strings.Contains(body, `troupe_breaker_state{breaker="db"} 0`) {
		t.Errorf("/metrics before any failure lacks the closed state:\n%s", grep(body, "troupe_breaker"))
	}
	d.down.Store(true)
	if code, _ := get(base + "/orders"); code != http.StatusInternalServerError {
		t.Fatalf("first request: %d, want 500", code)
	}
	if code, _ := get(base + "/orders"); code != http.StatusServiceUnavailable {
		t.Fatalf("second request: %d, want 503", code)
	}
	_, body = get(admin + "/metrics")
	for _, want := range []string{
		`troupe_breaker_state{breaker="db"} 2`,
		`troupe_breaker_transitions_total{breaker="db",from="closed",to="open"} 1`,
		`troupe_breaker_rejections_total{breaker="db",reason="open"} 1`,
		`troupe_breaker_calls_total{breaker="db",outcome="failure"} 1`,
		"# HELP troupe_breaker_state The state of the breaker stage's circuit breaker: 0 closed, 1 half_open, 2 open.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grep(body, "troupe_breaker"))
		}
	}
}

// grep returns the lines of s that contain sub.
func grep(s, sub string) string {
	var out []string
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
