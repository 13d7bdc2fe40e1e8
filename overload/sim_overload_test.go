package overload

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// TestSimOverload feeds the simulated backend (16 slots, 20 ms, so
// 800 req/s) open loop at 0.5×, 2×, 5× and 10× its capacity for 6 s of
// fake time each, with the default configuration, and checks the figures
// of the last 5 s: goodput, latency of what was served, and refusals that
// are immediate.
func TestSimOverload(t *testing.T) {
	t.Log(simHeader)
	cfg, _ := Config{}.withDefaults()
	for _, load := range []float64{0.5, 2, 5, 10} {
		synctest.Test(t, func(t *testing.T) {
			r := runSim(t, simRun{rate: load * simCap, dur: 6 * time.Second, warm: time.Second})
			t.Logf("%s", r.row(fmtLoad(load)))
			t.Logf("    rejections: %s", reasons(r))
			offered := load * simCap
			if load < 1 {
				// Under capacity everything is served, at once.
				if n := r.rejectedTotal(); n != 0 {
					t.Errorf("%v: %d refused under capacity, want 0", fmtLoad(load), n)
				}
				if p := pct(r.total, 0.99); p > 2*simService {
					t.Errorf("%v: p99 latency %v, want ≤ %v (no queueing under capacity)", fmtLoad(load), p, 2*simService)
				}
				if r.goodput < 0.9*offered {
					t.Errorf("%v: goodput %.0f/s, want ≥ 90%% of the offered %.0f/s", fmtLoad(load), r.goodput, offered)
				}
				return
			}
			if r.goodput < 0.9*simCap {
				t.Errorf("%v: goodput %.0f/s, want ≥ 90%% of capacity (%.0f/s)", fmtLoad(load), r.goodput, simCap)
			}
			if p := pct(r.total, 0.99); p > 100*time.Millisecond {
				t.Errorf("%v: p99 latency of the served %v, want ≤ 100ms", fmtLoad(load), p)
			}
			// More than 99% of the refusals come at once, so that their
			// p99 is not the wait of a refusal after waiting (which comes
			// when the waiter's allowance ends: QueueTarget, the queue
			// standing).
			rej := r.rejectedTotal()
			if imm := float64(r.immediate) / float64(rej); imm <= 0.99 {
				t.Errorf("%v: %.2f%% of %d refusals at once, want > 99%%", fmtLoad(load), 100*imm, rej)
			}
			if p := pct(r.rejLat, 0.99); p >= cfg.QueueTarget {
				t.Errorf("%v: p99 refusal latency %v, want < %v", fmtLoad(load), p, cfg.QueueTarget)
			}
			// RetryAfter spreads retries over demand/throughput seconds.
			want := time.Duration(load) * time.Second
			if got := r.final.RetryAfter; got < want/2 || got > want*2 {
				t.Errorf("%v: RetryAfter %v at the end, want about %v", fmtLoad(load), got, want)
			}
		})
	}
}

// TestSimCritical: 10% of the traffic is Critical at 5× overload, so
// Critical alone is half the capacity; at least 99% of it must be
// admitted and served within 5× the service time, and Sheddable must be
// refused more than Default.
func TestSimCritical(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 32 s: three probes of the unloaded service time (every 10 s),
		// when the limit is pinned to MinLimit, fall within the run.
		r := runSim(t, simRun{rate: 5 * simCap, dur: 32 * time.Second, warm: time.Second, critical: 0.1, sheddable: 0.3})
		t.Logf("%s", r.row("5× 10% crit 30% shed"))
		in := 0
		for _, d := range r.critLat {
			if d <= 5*simService {
				in++
			}
		}
		share := float64(in) / float64(r.critOffered)
		t.Logf("critical: %d offered, %d served, %d within %v (%.2f%%), p99 %v", r.critOffered, r.critServed, in,
			5*simService, 100*share, pct(r.critLat, 0.99))
		if r.critOffered < 10000 {
			t.Fatalf("only %d critical requests offered: the run is too short to judge", r.critOffered)
		}
		if share < 0.99 {
			t.Errorf("%.2f%% of critical requests served within %v, want ≥ 99%%", 100*share, 5*simService)
		}
		s := r.final
		for _, c := range []Class{Critical, Default, Sheddable} {
			t.Logf("%-9s admitted %6d refused %6d (%.1f%%): limit %d queue_delay %d", c, s.Admitted[c], refused(s, c), 100*refusedShare(s, c), s.Rejected[ReasonLimit][c], s.Rejected[ReasonQueueDelay][c])
		}
		if !(refusedShare(s, Sheddable) > refusedShare(s, Default) && refusedShare(s, Default) > refusedShare(s, Critical)) {
			t.Errorf("refused shares: sheddable %.3f, default %.3f, critical %.3f; want them in that order, decreasing",
				refusedShare(s, Sheddable), refusedShare(s, Default), refusedShare(s, Critical))
		}
	})
}

func refused(s Stats, c Class) uint64 {
	var n uint64
	for r := range NumReasons {
		n += s.Rejected[r][c]
	}
	return n
}

func refusedShare(s Stats, c Class) float64 {
	n := refused(s, c)
	return float64(n) / float64(n+s.Admitted[c])
}

// TestSimSlowdown: offered 400 req/s, the backend's service time goes
// 20 ms → 200 ms at 5 s (capacity 80 req/s: 5× overload) → 20 ms at 15 s.
// The limit must follow it down within 5 s (to at most twice the backend's
// 16 slots, from the 50 the light load let it grow to) and back up within
// 10 s (to at least 16), the
// slow phase must still be served at close to its capacity, and no
// admitted request may wait in the queue longer than 5× the service time
// of the moment.
func TestSimSlowdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := runSim(t, simRun{rate: 0.5 * simCap, dur: 25 * time.Second, warm: time.Second, service: slowService, traceEach: 50 * time.Millisecond})
		var b []byte
		for _, p := range r.trace {
			if p.at%(500*time.Millisecond) == 0 {
				s := p.stats
				b = fmt.Appendf(b, "\n  %5.1fs svc %-6v limit %3d inflight %3d queued %2d rtt %-6v minRTT %-6v standing %-5v probing %v",
					p.at.Seconds(), p.svc, s.Limit, s.InFlight, s.QueuedTotal(), s.RTT.Round(time.Millisecond),
					s.MinRTT.Round(time.Millisecond), s.Standing, s.Probing)
			}
		}
		t.Logf("trace:%s", b)
		before, down, up, g := slowdownFigures(r)
		t.Logf("limit %d before the slow-down, ≤ %d %v after it, back to ≥ %d %v after the recovery; slow-phase goodput %.0f/s of 80; max queue wait %.2f× the service time; p99 %v",
			before, 2*simSlots, down, simSlots, up, g, r.maxWaitRatio, pct(r.total, 0.99))
		if before <= 2*simSlots {
			t.Fatalf("limit %d before the slow-down: the run does not test that it comes down", before)
		}
		if down < 0 || down > 5*time.Second {
			t.Errorf("the limit did not come down to %d within 5 s of the slow-down (%v)", 2*simSlots, down)
		}
		if up < 0 || up > 10*time.Second {
			t.Errorf("the limit did not come back to the backend's %d slots within 10 s of the recovery (%v)", simSlots, up)
		}
		if g < 0.8*80 {
			t.Errorf("slow-phase goodput %.0f/s, want ≥ 80%% of its 80/s capacity", g)
		}
		if r.maxWaitRatio > 5 {
			t.Errorf("an admitted request waited %.2f× the service time in the queue, want ≤ 5×", r.maxWaitRatio)
		}
		// Within 10 s of the recovery the offered load is served again:
		// from 20 s to the end nobody is refused, no queue stands.
		var at20, last Stats
		for _, p := range r.trace {
			if p.at <= 20*time.Second {
				at20 = p.stats
			}
			last = p.stats
		}
		if n := last.RejectedTotal() - at20.RejectedTotal(); n != 0 || last.Standing || last.Limit < simSlots {
			t.Errorf("from 20 s: %d refused, standing %v, limit %d; want none refused, no standing queue, limit ≥ %d",
				n, last.Standing, last.Limit, simSlots)
		}
	})
}
