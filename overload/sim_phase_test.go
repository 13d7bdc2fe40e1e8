package overload

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestSimPhaseLockedCap: a stage's cap (a static limit of 16) in front of
// a handler that takes exactly 20 ms, at 2×, 5× and 10× its capacity. With
// exact service times the slots stay in the phase the first burst gave
// them, so completions come in bursts with gaps of up to half the service
// time between them — longer than the standing queue's target. A waiter
// that joins at the start of a gap is refused when its allowance ends,
// late. The cap predicts when its next slot frees from the oldest permits
// in flight and refuses at once a waiter that would not get one within
// its allowance, so that more than 99% of refusals come at once, and their
// p99 stays under the target, while goodput holds.
func TestSimPhaseLockedCap(t *testing.T) {
	t.Log(simHeader)
	static := Config{MinLimit: simSlots, MaxLimit: simSlots, InitialLimit: simSlots}
	cfg, _ := static.withDefaults()
	for _, load := range []float64{2, 5, 10} {
		synctest.Test(t, func(t *testing.T) {
			r := runSim(t, simRun{rate: load * simCap, dur: 6 * time.Second, warm: time.Second, exact: true, cfg: static})
			t.Logf("%s", r.row(fmtLoad(load)))
			t.Logf("    rejections: %s", reasons(r))
			if r.goodput < 0.9*simCap {
				t.Errorf("%v: goodput %.0f/s, want ≥ 90%% of capacity (%.0f/s)", fmtLoad(load), r.goodput, simCap)
			}
			rej := r.rejectedTotal()
			if imm := float64(r.immediate) / float64(rej); imm <= 0.99 {
				t.Errorf("%v: %.2f%% of %d refusals at once, want > 99%%", fmtLoad(load), 100*imm, rej)
			}
			if p := pct(r.rejLat, 0.99); p >= cfg.QueueTarget {
				t.Errorf("%v: p99 refusal latency %v, want < %v", fmtLoad(load), p, cfg.QueueTarget)
			}
		})
	}
}
