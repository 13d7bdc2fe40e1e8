package overload

import (
	"context"
	"testing"
	"time"
)

// acquireNow asks w (the limiter's own workload when w is nil) for a permit
// without waiting: the driver's clock never moves while a waiter waits. A
// refusal leaves the zero Permit, whose ending does nothing, and counts.
func acquireNow(d *driver, w *Workload, refused *int) Permit {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var p Permit
	var err error
	if w == nil {
		p, err = d.l.Acquire(ctx, Default)
	} else {
		p, err = w.Acquire(ctx, Default)
	}
	if err != nil {
		*refused++
	}
	return p
}

// mixedRounds runs rounds of five cheap (100 µs) and five expensive
// (100 ms) requests at once, for span of fake time: cheap and expensive
// acquire through their own workloads, or both through the limiter's own
// when they are nil. It returns how many were refused.
func mixedRounds(d *driver, cheap, expensive *Workload, span time.Duration) (refused int) {
	acquire := func(w *Workload) Permit { return acquireNow(d, w, &refused) }
	for end := d.clk.t.Add(span); d.clk.t.Before(end); {
		var c, e [5]Permit
		for i := range 5 {
			c[i], e[i] = acquire(cheap), acquire(expensive)
		}
		d.clk.advance(100 * time.Microsecond)
		for i := range c {
			c[i].Release()
		}
		d.clk.advance(100*time.Millisecond - 100*time.Microsecond)
		for i := range e {
			e[i].Release()
		}
	}
	return refused
}

// TestWorkloadsKeepAMixFromLookingLikeOverload: a spell of cheap requests
// alone, then a steady mix of cheap and expensive ones, 10 in flight at a
// limit of 10 (it binds: only a binding limit falls). Judged each against
// its own workload's unloaded time, the mix runs at its unloaded figure
// and the limit stays; judged against one figure for both (the limiter's
// own workload), the expensive requests look like a thousandfold
// slow-down and the limit is cut.
func TestWorkloadsKeepAMixFromLookingLikeOverload(t *testing.T) {
	for _, separate := range []bool{true, false} {
		d := newDriver(t, Config{MinLimit: 2, InitialLimit: 10, MaxLimit: 10, ProbeInterval: time.Hour})
		var cheap, expensive *Workload
		if separate {
			cheap, expensive = d.l.NewWorkload(), d.l.NewWorkload()
		}
		// The cheap spell: 2 s of cheap requests only.
		for end := d.clk.t.Add(2 * time.Second); d.clk.t.Before(end); {
			var ps [10]Permit
			refused := 0
			for i := range ps {
				ps[i] = acquireNow(d, cheap, &refused)
			}
			if refused > 0 {
				t.Fatalf("%d of 10 cheap requests refused at a limit of 10", refused)
			}
			d.clk.advance(100 * time.Microsecond)
			for i := range ps {
				ps[i].Release()
			}
			d.clk.advance(time.Millisecond)
		}
		refused := mixedRounds(d, cheap, expensive, 3*time.Second)
		got := d.l.Stats().Limit
		t.Logf("separate workloads %v: limit %d after 3 s of the mix, %d refused, unloaded time %v", separate, got, refused, d.l.Stats().MinRTT)
		if separate && (got != 10 || refused != 0) {
			t.Errorf("limit %d and %d refused after a mix at 10 in flight with each workload's own unloaded time, want 10 (unchanged) and none", got, refused)
		}
		if !separate && got >= 10 && refused == 0 {
			t.Errorf("limit %d with one unloaded time for the mix: the test no longer shows what workloads fix", got)
		}
	}
}
