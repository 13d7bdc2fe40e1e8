package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sampleReport returns a report with two peers at two rates, a
// priorities run and a slow-down run whose limit was scraped in one
// second.
func sampleReport() *overloadReport {
	limit := 24.0
	run := func(peer string, mult, goodput, p99, rejP99 float64, rejected, retryAfter, rss int64) *overloadRun {
		st := loadStats{Sent: int64(mult * 800), AchievedRPS: mult * 800, OK: 100, GoodputRPS: goodput, P50OKms: p99 / 2, P99OKms: p99,
			Rejected: rejected, P99RejectedMs: rejP99, RetryAfter: retryAfter}
		if rejected > 0 {
			st.Codes = map[string]int64{"503": rejected}
		}
		return &overloadRun{Peer: peer, Multiple: mult, OfferedRPS: mult * 800, loadStats: st, GoodputPct: 100 * goodput / 800, PeakRSSKiB: rss}
	}
	secs := []second{{T: 0, OK: 790, P99OKms: 25}, {T: 1, OK: 80, P99OKms: 900, Rejected: 700, Limit: &limit}, {T: 2, OK: 795, P99OKms: 30}}
	return &overloadReport{
		Date: "2026-12-05T00:00:00Z", Command: "cd bench && go run ./cmd/httpbench -scenario overload", Generator: "vegeta v12.13.0",
		ClientTimeoutS: 12, MaxInFlight: 10000, DurationS: 3,
		Capacity: capacityProbe{Peer: peerNetHTTP, Conns: 32, DurationS: 3, RPS: 800, TheoreticalRPS: 800},
		Runs: []*overloadRun{
			run(peerTroupe, 0.5, 395, 25, 0, 0, 0, 20000),
			run(peerNetHTTP, 0.5, 396, 24, 0, 0, 0, 15000),
			run(peerTroupe, 2, 760, 80, 2, 500, 500, 39000),
			run(peerNetHTTP, 2, 700, 3000, 0, 0, 0, 90000),
			run(peerTroupe, 5, 600, 1500, 30, 3000, 2999, 41000),
		},
		Priorities: []*priorityRun{{Peer: peerTroupe, Multiple: 5, OfferedRPS: 4000, CriticalPct: 10,
			Critical: loadStats{Sent: 400, OK: 300, P99OKms: 50, AchievedRPS: 400}, Other: loadStats{Sent: 3600, OK: 500, P99OKms: 60, AchievedRPS: 3600}}},
		Slowdown: []*slowdownRun{{Peer: peerTroupe, Multiple: 2, OfferedRPS: 1600, SlowFromS: 1, SlowToS: 2, Seconds: secs, LimitSeen: true,
			Phases: phases(secs, 1, 2, 20*time.Millisecond, 200*time.Millisecond)}},
	}
}

// TestJudge checks each target against runs that meet and miss it: the
// goodput against min(offered, capacity), the p99 of 200s, rejections
// fast and each with Retry-After (no rejection meets it), and peak RSS
// against the run at the lowest rate; only the target peer is judged.
func TestJudge(t *testing.T) {
	rep := sampleReport()
	rep.judge(peerTroupe)
	want := map[float64][]bool{
		0.5: {true, true, true, true},     // 395 ≥ 0.9×400; 25 ms; none; itself
		2:   {true, true, true, true},     // 760 ≥ 720; 80 ms; 2 ms, all with it; 39000 ≤ 40000
		5:   {false, false, false, false}, // 600 < 720; 1.5 s; 30 ms and one without; 41000 > 40000
	}
	for _, r := range rep.Runs {
		if r.Peer != peerTroupe {
			if len(r.Targets) != 0 {
				t.Errorf("%s judged", r.Peer)
			}
			continue
		}
		w := want[r.Multiple]
		if len(r.Targets) != len(w) {
			t.Fatalf("%g×: %d verdicts, want %d", r.Multiple, len(r.Targets), len(w))
		}
		for i, v := range r.Targets {
			if v.Met != w[i] {
				t.Errorf("%g×: %s: met %v, want %v", r.Multiple, v.Target, v.Met, w[i])
			}
		}
	}
	// A fast rejection without Retry-After misses it.
	rep.Runs[2].RetryAfter = 499
	rep.judge(peerTroupe)
	if rep.Runs[2].Targets[2].Met {
		t.Error("a rejection without Retry-After: target met")
	}
}

// TestOverloadPrint checks the Markdown tables: a row per run with its
// figures and, for the target peer, its verdicts; the priorities and
// slow-down tables; the limit's range.
func TestOverloadPrint(t *testing.T) {
	rep := sampleReport()
	rep.judge(peerTroupe)
	var b bytes.Buffer
	rep.print(&b)
	out := b.String()
	for _, want := range []string{
		"| peer | load | offered/s | achieved/s | goodput/s |",
		"| troupe | 2× | 1,600 | 1,600 | 760 | 95% | 40.00ms | 80.00ms | 500 | 0µs | 2.00ms | 100% | 503×500 | 0 | 0 | 38.1 MiB | goodput met, p99 met, rejections met, RSS met |",
		"| nethttp | 2× | 1,600 | 1,600 | 700 | 88% | 1.50s | 3.00s | 0 | - | - | - | - | 0 | 0 | 87.9 MiB |  |",
		"goodput MISSED, p99 MISSED, rejections MISSED, RSS MISSED",
		"| troupe | 5× | 4,000 | 4,000 | critical | 400 | 300 | 75.0% | 50.00ms |",
		"| troupe | 5× | 4,000 | 4,000 | other | 3600 | 500 | 13.9% | 60.00ms |",
		"| troupe | 2× | slow | 1–2 | 200ms | 80 | 900.00ms | 700 | 0 | 24–24 |",
		"| troupe | 2× | before | 0–1 | 20ms | 790 | 25.00ms | 0 | 0 | - |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Every table row has as many cells as its header.
	cells := 0
	for line := range strings.Lines(out) {
		if !strings.HasPrefix(line, "|") {
			cells = 0
			continue
		}
		n := strings.Count(line, "|")
		if cells == 0 {
			cells = n
		} else if n != cells {
			t.Errorf("row with %d bars under a header of %d: %s", n, cells, line)
		}
	}
}

// TestOverloadWriteJSON checks that the report's file reads back with its
// figures.
func TestOverloadWriteJSON(t *testing.T) {
	rep := sampleReport()
	rep.judge(peerTroupe)
	path := filepath.Join(t.TempDir(), "overload.json")
	if err := rep.writeJSON(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back overloadReport
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Runs) != 5 || back.Runs[2].GoodputRPS != 760 || back.Runs[2].Codes["503"] != 500 || back.Runs[2].PeakRSSKiB != 39000 ||
		len(back.Runs[2].Targets) != 4 || back.Capacity.RPS != 800 || len(back.Slowdown) != 1 || *back.Slowdown[0].Seconds[1].Limit != 24 ||
		back.Slowdown[0].Seconds[0].Limit != nil || back.Priorities[0].Critical.OK != 300 {
		t.Errorf("read back: %s", b)
	}
	for _, key := range []string{`"goodput_rps"`, `"p99_ok_ms"`, `"rejected_with_retry_after"`, `"peak_rss_kib"`, `"limit_seen"`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("no %s in the JSON", key)
		}
	}
}

// TestWritePlots checks that each plot is a PNG of some size, with and
// without the limit, and that a report without runs writes none.
func TestWritePlots(t *testing.T) {
	for _, limit := range []bool{true, false} {
		rep := sampleReport()
		if !limit {
			rep.Slowdown[0].LimitSeen = false
			for i := range rep.Slowdown[0].Seconds {
				rep.Slowdown[0].Seconds[i].Limit = nil
			}
		}
		dir := t.TempDir()
		paths, err := writePlots(rep, dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(paths) != 3 {
			t.Fatalf("%d plots, want 3", len(paths))
		}
		for _, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 300 {
				t.Errorf("%s: %v", p, b)
			}
		}
	}
	if paths, err := writePlots(&overloadReport{}, t.TempDir()); err != nil || len(paths) != 0 {
		t.Errorf("empty report: %v, %v", paths, err)
	}
}

// TestLogTicks125 checks the log scale's ticks: labels at 1, 2 and 5
// times the powers of ten within the range, other multiples unlabelled,
// and none outside it.
func TestLogTicks125(t *testing.T) {
	var labels []string
	n := 0
	for _, tk := range (logTicks125{}).Ticks(15, 600) {
		if tk.Value < 15 || tk.Value > 600 {
			t.Errorf("tick %v outside [15, 600]", tk.Value)
		}
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
		n++
	}
	if got := strings.Join(labels, " "); got != "20 50 100 200 500" {
		t.Errorf("labels %q, want 20 50 100 200 500", got)
	}
	if n != 14 { // 20…90, 100…600
		t.Errorf("%d ticks, want 14", n)
	}
	if ts := (logTicks125{}).Ticks(0, 0); len(ts) != 0 {
		t.Errorf("empty range: %v", ts)
	}
}
