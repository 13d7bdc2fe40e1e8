package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOverloadSmoke runs the whole overload scenario briefly against the
// troupe peer, each peer in a process of its own (this test binary, run
// with -serve-peer): the sweep at two rates, the priorities run and the
// slow-down run, 3s each. It checks that every run reports requests sent
// and answered, the critical share, the peaks of RSS, the slow-down's
// seconds, and the files. The figures themselves depend on the machine
// and are not judged.
func TestOverloadSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a peer for about 15s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := t.TempDir()
	var stdout bytes.Buffer
	err := run(ctx, []string{"-scenario", "overload", "-duration", "3s", "-rates", "0.5,2", "-peers", "troupe", "-probe", "1s", "-out", out}, &stdout)
	if err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	for _, want := range []string{"capacity:", "| troupe | 0.5× |", "| troupe | 2× |", "| troupe | 5× |", "critical", "| troupe | 2× | slow | 1–2 |"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	if strings.Contains(stdout.String(), "not on /metrics") { // troupe reports its limit
		t.Errorf("the slow-down run found no %s on troupe's /metrics:\n%s", limitMetric, stdout.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "overload.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep overloadReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Capacity.RPS <= 0 || len(rep.Runs) != 2 || len(rep.Priorities) != 1 || len(rep.Slowdown) != 1 {
		t.Fatalf("report: capacity %v, %d runs, %d priorities, %d slow-downs", rep.Capacity.RPS, len(rep.Runs), len(rep.Priorities), len(rep.Slowdown))
	}
	for _, r := range rep.Runs {
		if r.Sent == 0 || r.OK == 0 || r.PeakRSSKiB <= 0 || len(r.Targets) != 4 {
			t.Errorf("%s at %g×: sent %d, 200s %d, RSS %d KiB, %d verdicts", r.Peer, r.Multiple, r.Sent, r.OK, r.PeakRSSKiB, len(r.Targets))
		}
	}
	// Every 10th request went to the critical route.
	p := rep.Priorities[0]
	if sent := p.Critical.Sent + p.Other.Sent; p.Critical.Sent < sent/10 || p.Critical.Sent > sent/10+1 {
		t.Errorf("priorities: %d critical of %d", p.Critical.Sent, sent)
	}
	s := rep.Slowdown[0]
	if len(s.Seconds) != 3 || len(s.Phases) != 3 || s.Total.Sent == 0 || s.PeakRSSKiB <= 0 || s.Seconds[1].ServiceMs != 200 {
		t.Errorf("slow-down: %d seconds, %d phases, %d sent, RSS %d KiB, %v", len(s.Seconds), len(s.Phases), s.Total.Sent, s.PeakRSSKiB, s.Seconds)
	}
	for _, f := range []string{plotGoodputFile, plotP99File, plotSlowdownFile} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}
