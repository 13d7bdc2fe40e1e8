package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

// TestSummarizeComparisons checks the paired ratios of several
// comparisons, their targets at one connection count only, a peer's own
// target, the error sums and the mean batch size, and that the table
// prints them.
func TestSummarizeComparisons(t *testing.T) {
	rep := &report{
		Rounds: 2, DurationS: 1, unit: "item",
		peers: []string{"base", "troupe", "ref"},
		comparisons: []comparison{
			{num: "troupe", den: "base", targets: []target{{conns: 64, name: "items/s ≥ 7×", met: func(r medians) bool { return r.RPS >= 7 }}}},
			{num: "troupe", den: "ref", targets: []target{{conns: 64, name: "items/s ≥ 0.90×", met: func(r medians) bool { return r.RPS >= 0.9 }}}},
		},
		peerTargets: []peerTarget{{peer: "troupe", conns: 4, name: "p50 ≤ 1.51ms", met: func(m medians) bool { return m.P50us <= 1510 }}},
	}
	add := func(conns, n int, peer string, rps, p50 float64, calls, items, non2xx int64) {
		rep.Runs = append(rep.Runs, &round{Conns: conns, Round: n, Peer: peer, RPS: rps, P50us: p50, P99us: 2 * p50,
			CPUPerReqUs: 10, ModelCalls: calls, ModelItems: items, Non2xx: non2xx})
	}
	for r := 1; r <= 2; r++ {
		add(4, r, "base", 2000, 1500, 2000, 2000, 0)
		add(4, r, "troupe", 2000, 1400+float64(r)*100, 1900, 2000, 0) // p50 1500, 1600: median 1550
		add(4, r, "ref", 40000, 100, 0, 0, 0)
		add(64, r, "base", 2000, 30000, 2000, 2000, 0)
		add(64, r, "troupe", 16000, 4000, 1000, 16000, int64(r)) // 8×; 16 items/call
		add(64, r, "ref", 20000, 3000, 0, 0, 0)                  // 0.8×
	}
	rep.summarize([]int{4, 64})
	if len(rep.Summaries) != 2 {
		t.Fatalf("%d summaries, want 2", len(rep.Summaries))
	}
	s4, s64 := rep.Summaries[0], rep.Summaries[1]

	if got := s64.Peers["troupe"]; got.Non2xx != 3 || got.itemsPerCall() != 16 || got.Rounds != 2 {
		t.Errorf("troupe at 64: %d non-2xx, %v items/call, %d rounds; want 3, 16, 2", got.Non2xx, got.itemsPerCall(), got.Rounds)
	}
	if got := s64.Peers["ref"].itemsPerCall(); got != 0 {
		t.Errorf("ref (no model): %v items/call, want 0", got)
	}
	if len(s64.Ratios) != 2 || s64.Ratios[0].Name != "troupe/base" || s64.Ratios[1].Name != "troupe/ref" {
		t.Fatalf("ratios at 64: %+v, want troupe/base and troupe/ref", s64.Ratios)
	}
	if r := s64.Ratios[0]; r.RPS != 8 || len(r.Targets) != 1 || !r.Targets[0].Met {
		t.Errorf("troupe/base at 64 = %v with %v, want 8 and its target met", r.RPS, r.Targets)
	}
	if r := s64.Ratios[1]; r.RPS != 0.8 || len(r.Targets) != 1 || r.Targets[0].Met {
		t.Errorf("troupe/ref at 64 = %v with %v, want 0.8 and its target missed", r.RPS, r.Targets)
	}
	if r := s4.Ratios[0]; len(r.Targets) != 0 {
		t.Errorf("troupe/base at 4 judged %v, want no target (it is set at 64)", r.Targets)
	}
	if len(s4.Targets) != 1 || s4.Targets[0].Met || len(s64.Targets) != 0 {
		t.Errorf("peer targets: %v at 4, %v at 64; want one missed at 4 (p50 1550µs), none at 64", s4.Targets, s64.Targets)
	}
	if got := s4.Peers["troupe"].P50us; math.Abs(got-1550) > 1e-9 {
		t.Errorf("troupe's p50 at 4 = %v, want the median 1550", got)
	}

	var out bytes.Buffer
	rep.print(&out)
	t.Log("\n" + out.String())
	for _, want := range []string{
		"items/s", "CPU µs/item", "items/call", "non-2xx",
		"troupe/base", "items/s ≥ 7×: met", "items/s ≥ 0.90×: MISSED", "p50 ≤ 1.51ms: MISSED",
		"Per-round ratios troupe/ref",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q", want)
		}
	}
}

// TestDefaultConns checks that -scenario batch loads 4, 64 and 256
// connections unless -conns says otherwise, and the others 64 and 256.
func TestDefaultConns(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{args: []string{"-scenario", "batch"}, want: "4,64,256"},
		{args: []string{"-scenario", "proxy"}, want: "64,256"},
		{args: nil, want: "64,256"},
		{args: []string{"-scenario", "batch", "-conns", "8"}, want: "8"},
	}
	for _, tt := range tests {
		c, err := parseFlags(tt.args, io.Discard)
		if err != nil {
			t.Fatalf("parseFlags(%q): %v", tt.args, err)
		}
		conns := make([]string, len(c.conns))
		for i, n := range c.conns {
			conns[i] = strconv.Itoa(n)
		}
		if got := strings.Join(conns, ","); got != tt.want {
			t.Errorf("parseFlags(%q): -conns %s, want %s", tt.args, got, tt.want)
		}
	}
	if _, err := parseFlags([]string{"-scenario", "nope"}, io.Discard); err == nil {
		t.Error("parseFlags(-scenario nope) = nil error, want one")
	}
}

// TestScenarios builds every scenario and checks that each peer has a
// request and a probe, that the comparisons and targets name its peers,
// and that exactly one peer is profiled; then it stops what the scenario
// started.
func TestScenarios(t *testing.T) {
	for _, name := range []string{scenarioTrivial, scenarioTaught, scenarioAPI, scenarioBatch, scenarioProxy} {
		t.Run(name, func(t *testing.T) {
			c, err := parseFlags([]string{"-scenario", name}, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			sc, err := newScenario(c, zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			if sc.close != nil {
				t.Cleanup(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					if err := sc.close(ctx); err != nil {
						t.Error(err)
					}
				})
			}
			names := map[string]bool{}
			profiled := 0
			for _, p := range sc.peers {
				if p.path == "" || p.probe == nil || names[p.name] {
					t.Errorf("peer %q: path %q, probe %v, or its name twice", p.name, p.path, p.probe != nil)
				}
				names[p.name] = true
				if p.profile {
					profiled++
				}
			}
			if profiled != 1 {
				t.Errorf("%d peers profiled, want 1", profiled)
			}
			if len(sc.comparisons) == 0 {
				t.Error("no comparison")
			}
			for _, cmp := range sc.comparisons {
				if !names[cmp.num] || !names[cmp.den] {
					t.Errorf("comparison %s names a peer the scenario lacks", cmp.name())
				}
			}
			for _, pt := range sc.peerTargets {
				if !names[pt.peer] {
					t.Errorf("target %q names peer %q, which the scenario lacks", pt.name, pt.peer)
				}
			}
		})
	}
}
