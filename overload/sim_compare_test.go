package overload

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// slowService is the slow-down run's service time: 20 ms, 200 ms from 5 s
// to 15 s, 20 ms again after.
func slowService(at time.Duration) time.Duration {
	if at >= 5*time.Second && at < 15*time.Second {
		return 200 * time.Millisecond
	}
	return simService
}

// slowdownFigures summarises a slow-down run's trace: the limit before the
// slow-down; how long after it the limit took to come down to twice the
// backend's 16 slots (at most one service time of queueing in the
// backend), and how long after the recovery to come back to 16 (not
// counting a limit pinned by a probe); the goodput of the last 5 s of the
// slow phase.
func slowdownFigures(r simResult) (before int, down, up time.Duration, slowGoodput float64) {
	down, up = -1, -1
	var served0, served1 uint64
	for _, p := range r.trace {
		s := p.stats
		switch {
		case p.at <= 5*time.Second:
			before = s.Limit
		case p.at < 15*time.Second:
			if down < 0 && s.Limit <= 2*simSlots && !s.Probing {
				down = p.at - 5*time.Second
			}
		default:
			if up < 0 && s.Limit >= simSlots && !s.Probing {
				up = p.at - 15*time.Second
			}
		}
		if p.at == 10*time.Second {
			served0 = s.AdmittedTotal()
		}
		if p.at == 15*time.Second {
			served1 = s.AdmittedTotal()
		}
	}
	return before, down, up, float64(served1-served0) / 5
}

// TestSimCompare runs the alternatives the package decided between, and
// prints the figures that decided: the limit algorithms (this package's
// gradient with a pinned minimum-RTT probe, Netflix's Gradient2, Vegas and
// AIMD) at 2×, 5× and 10× and through the slow-down, and adaptive LIFO on
// and off. It asserts only what any of them must do; the figures are for
// reading (go test -run TestSimCompare -v ./overload).
func TestSimCompare(t *testing.T) {
	if testing.Short() {
		t.Skip("comparison figures only")
	}
	algos := []struct {
		name string
		opts func() []Option
		cfg  Config
	}{
		{"gradient+probe", func() []Option { return nil }, Config{}},
		{"gradient2 (Netflix)", func() []Option { return []Option{withAlgorithm(&gradient2{})} }, Config{Smoothing: 0.2}},
		{"vegas (Netflix)", func() []Option { return []Option{withAlgorithm(vegas{})} }, Config{Smoothing: 1}},
		{"aimd (Netflix)", func() []Option { return []Option{withAlgorithm(aimd{})} }, Config{Smoothing: 1}},
	}
	t.Log(simHeader)
	for _, a := range algos {
		for _, load := range []float64{2, 5, 10} {
			synctest.Test(t, func(t *testing.T) {
				r := runSim(t, simRun{rate: load * simCap, dur: 6 * time.Second, warm: time.Second, cfg: a.cfg, opts: a.opts()})
				t.Logf("%s", r.row(fmt.Sprintf("%s %s", a.name, fmtLoad(load))))
			})
		}
	}
	t.Log("slow-down (offered 400 req/s; 20 ms → 200 ms at 5 s → 20 ms at 15 s): limit before, down to ≤ 32 after, back to ≥ 16 after, goodput 10-15 s (capacity 80/s), p99 total, max wait/service")
	for _, a := range algos {
		synctest.Test(t, func(t *testing.T) {
			r := runSim(t, simRun{rate: 0.5 * simCap, dur: 25 * time.Second, warm: time.Second, service: slowService,
				cfg: a.cfg, opts: a.opts(), traceEach: 50 * time.Millisecond})
			before, down, up, g := slowdownFigures(r)
			t.Logf("%-22s limit %d, ≤32 after %-8v ≥16 after %-8v goodput %4.0f/s  p99 %-8v wait/svc %.2f", a.name, before, down, up, g,
				pct(r.total, 0.99).Round(time.Millisecond), r.maxWaitRatio)
		})
	}
	t.Log("adaptive LIFO (newest first while the queue stands) against FIFO, default algorithm")
	for _, lifo := range []bool{false, true} {
		for _, load := range []float64{2, 5, 10} {
			for _, timeout := range []time.Duration{0, 100 * time.Millisecond} {
				synctest.Test(t, func(t *testing.T) {
					r := runSim(t, simRun{rate: load * simCap, dur: 6 * time.Second, warm: time.Second, timeout: timeout, opts: []Option{withLIFO(lifo)}})
					t.Logf("%s  %s", r.row(fmt.Sprintf("lifo=%v %s t/o=%v", lifo, fmtLoad(load), timeout)), reasons(r))
				})
			}
		}
	}
}
