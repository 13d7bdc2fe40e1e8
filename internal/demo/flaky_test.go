package demo

import (
	"net/http"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/actors"
)

// process runs stage s on a GET of target with draw as the random number,
// and returns its error and what it panicked with.
func process(t *testing.T, s flaky, target string, draw float64) (err error, panicked any) {
	t.Helper()
	s.float = func() float64 { return draw }
	defer func() { panicked = recover() }()
	return s.Process(exchange(t, http.MethodGet, target, nil)), nil
}

func flakyStage(t *testing.T, opts string) flaky {
	t.Helper()
	s, ok := build(t, flakyKind(), opts).Stage.(flaky)
	if !ok {
		t.Fatal("flaky kind did not build a flaky stage")
	}
	return s
}

func TestFlakyPasses(t *testing.T) {
	tests := []struct {
		name string
		opts string
		give string
		draw float64
	}{
		{name: "no parameter", give: "/demo/flaky", draw: 0},
		{name: "probability 0", give: "/demo/flaky?panic=0", draw: 0},
		{name: "draw above probability", give: "/demo/flaky?panic=0.4", draw: 0.5},
		{name: "other parameter ignored", opts: "panic_param: p", give: "/demo/flaky?panic=1", draw: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err, panicked := process(t, flakyStage(t, tt.opts), tt.give, tt.draw)
			if err != nil || panicked != nil {
				t.Errorf("Process(%s) = %v, panic %v; want nil, no panic", tt.give, err, panicked)
			}
		})
	}
}

func TestFlakyPanics(t *testing.T) {
	tests := []struct {
		name string
		opts string
		give string
		draw float64
	}{
		{name: "probability 1", give: "/demo/flaky?panic=1", draw: 0.999},
		{name: "draw below probability", give: "/demo/flaky?panic=0.6", draw: 0.5},
		{name: "custom parameter", opts: "panic_param: p", give: "/demo/flaky?p=1", draw: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, panicked := process(t, flakyStage(t, tt.opts), tt.give, tt.draw)
			if msg, _ := panicked.(string); !strings.HasPrefix(msg, "flaky: simulated failure") {
				t.Errorf("Process(%s) panicked with %v, want a simulated failure", tt.give, panicked)
			}
		})
	}
}

func TestFlakyRejects(t *testing.T) {
	tests := []struct {
		name       string
		give       string
		wantDetail string
	}{
		{name: "not a number", give: "/demo/flaky?panic=often", wantDetail: `query parameter panic must be a number from 0 to 1, got "often"`},
		{name: "above 1", give: "/demo/flaky?panic=1.5", wantDetail: `got "1.5"`},
		{name: "below 0", give: "/demo/flaky?panic=-0.1", wantDetail: `got "-0.1"`},
		{name: "NaN", give: "/demo/flaky?panic=NaN", wantDetail: `got "NaN"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err, panicked := process(t, flakyStage(t, ""), tt.give, 0)
			if panicked != nil {
				t.Fatalf("Process(%s) panicked: %v", tt.give, panicked)
			}
			e, ok := err.(*actors.Error)
			if !ok || e.Status != http.StatusBadRequest || !strings.Contains(e.Detail, tt.wantDetail) {
				t.Errorf("Process(%s) = %v, want 400 with detail containing %q", tt.give, err, tt.wantDetail)
			}
		})
	}
}
