package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/overload"
)

func TestParseOverload(t *testing.T) {
	give := `server:
  max_in_flight: 500
  overload:
    min_limit: 8
    max_limit: 400
    initial_limit: 50
    smoothing: 0.3
    tolerance: 0.5
    queue_target: 10ms
    queue_interval: 200ms
    max_queue: 64
    max_retry_after: 10s
    probe_interval: 5s
groups:
  - prefix: /ops
    criticality: critical
    routes:
      - {method: GET, path: /health, handler: ok}
      - {method: GET, path: /report, handler: ok, criticality: sheddable}
routes: [{method: GET, path: /, handler: ok}]
`
	cfg, err := config.Parse("overload.yaml", []byte(give), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	want := overload.Config{MinLimit: 8, MaxLimit: 400, InitialLimit: 50, Smoothing: 0.3, Tolerance: 0.5, QueueTarget: 10 * time.Millisecond,
		QueueInterval: 200 * time.Millisecond, MaxQueue: 64, MaxRetryAfter: 10 * time.Second, ProbeInterval: 5 * time.Second}
	if got := cfg.App.HTTP.Overload; got != want || cfg.App.HTTP.StaticLimit {
		t.Errorf("overload = %+v (static %v), want %+v", got, cfg.App.HTTP.StaticLimit, want)
	}
	g := cfg.Groups[0]
	if g.Criticality == nil || *g.Criticality != overload.Critical {
		t.Errorf("group criticality = %v, want critical", g.Criticality)
	}
	if r := g.Routes[0]; r.Criticality != nil {
		t.Errorf("route without criticality = %v, want nil (its group's)", *r.Criticality)
	}
	if r := g.Routes[1]; r.Criticality == nil || *r.Criticality != overload.Sheddable {
		t.Errorf("route criticality = %v, want sheddable", r.Criticality)
	}

	cfg, err = config.Parse("overload.yaml", []byte("server:\n  overload: {adaptive: false}\nroutes: [{method: GET, path: /, handler: ok}]\n"), testRegistry())
	if err != nil || !cfg.App.HTTP.StaticLimit {
		t.Errorf("adaptive: false gave static %v, err %v", cfg != nil && cfg.App.HTTP.StaticLimit, err)
	}
}

func TestParseOverloadErrors(t *testing.T) {
	tests := []struct{ give, want string }{
		{"server:\n  overload:\n    smoothing: 2\n", "overload.yaml:3: server.overload.smoothing must be a number above 0 and at most 1"},
		{"server:\n  overload:\n    queue_target: soon\n", `overload.yaml:3: server.overload.queue_target: bad duration "soon"`},
		{"server:\n  overload:\n    min_limit: 50\n    max_limit: 10\n", "overload.yaml:3: server.overload: MinLimit 50 is above MaxLimit 10"},
		{"server:\n  overload:\n    speed: 3\n", "overload.yaml:3: unknown key"},
		{"routes: [{method: GET, path: /x, handler: ok, criticality: vip}]\n", `overload.yaml:1: route GET /x criticality: unknown class "vip"`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := config.Parse("overload.yaml", []byte(tt.give+"routes: [{method: GET, path: /, handler: ok}]\n"), testRegistry())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) = %v, want %q…", tt.give, err, tt.want)
			}
		})
	}
}

func TestParseCriticalityHeader(t *testing.T) {
	give := "server:\n  overload:\n    criticality_header: X-Criticality\n    criticality_trusted: [10.0.0.0/8, \"fd00::1/8\"]\nroutes: [{method: GET, path: /, handler: ok}]\n"
	cfg, err := config.Parse("overload.yaml", []byte(give), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.App.HTTP
	if h.CriticalityHeader != "X-Criticality" || len(h.CriticalityTrusted) != 2 || h.CriticalityTrusted[1].String() != "fd00::/8" {
		t.Errorf("header %q, trusted %v", h.CriticalityHeader, h.CriticalityTrusted)
	}
	for give, want := range map[string]string{
		"server:\n  overload:\n    criticality_trusted: [10.0.0.0]\n": `overload.yaml:3: server.overload.criticality_trusted: "10.0.0.0" is not a network`,
		"server:\n  overload:\n    criticality_header: \"X Crit\"\n":  `overload.yaml:3: server.overload.criticality_header: "X Crit" is not a header name`,
	} {
		_, err := config.Parse("overload.yaml", []byte(give+"routes: [{method: GET, path: /, handler: ok}]\n"), testRegistry())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", give, err, want)
		}
	}
}
