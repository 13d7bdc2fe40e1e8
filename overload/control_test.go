package overload

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand (one goroutine only).
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// driver runs a limiter on a fake clock, one goroutine, without ever
// waiting: each round takes up to conc slots (never more than the limit
// lets it take at once), lets rtt pass, and releases them.
type driver struct {
	t   *testing.T
	l   *Limiter
	clk *fakeClock
}

func newDriver(t *testing.T, cfg Config) *driver {
	t.Helper()
	clk := &fakeClock{t: time.Now()}
	l, err := New(cfg, WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	return &driver{t: t, l: l, clk: clk}
}

// windowStart returns when the current measurement window started.
func (d *driver) windowStart() int64 {
	d.l.winMu.Lock()
	defer d.l.winMu.Unlock()
	return d.l.win.start
}

// round takes min(conc, limit) slots, lets rtt pass and ends them with
// end; with stopAtWindow it stops at the first window that closes and
// ends the remaining permits with Ignore. It reports whether a window
// closed.
func (d *driver) round(conc int, rtt time.Duration, end func(*Permit), stopAtWindow bool) bool {
	d.t.Helper()
	k := min(conc, d.l.Stats().Limit-d.l.Stats().InFlight)
	ps := make([]Permit, 0, k)
	for range k {
		p, err := d.l.Acquire(context.Background(), Default)
		if err != nil {
			d.t.Fatalf("Acquire under the limit: %v", err)
		}
		ps = append(ps, p)
	}
	d.clk.advance(rtt)
	start := d.windowStart()
	closed := false
	for i := range ps {
		if closed && stopAtWindow {
			ps[i].Ignore()
			continue
		}
		end(&ps[i])
		if d.windowStart() != start {
			closed = true
		}
	}
	return closed
}

func release(p *Permit) { p.Release() }

// run does rounds for a span of fake time, calling check after each.
func (d *driver) run(span time.Duration, conc func() int, rtt func() time.Duration, check func()) {
	for end := d.clk.t.Add(span); d.clk.t.Before(end); {
		d.round(conc(), rtt(), release, false)
		if check != nil {
			check()
		}
	}
}

// window does rounds until one measurement window closes.
func (d *driver) window(conc int, rtt time.Duration) {
	d.t.Helper()
	for range 1000 {
		if d.round(conc, rtt, release, true) {
			return
		}
	}
	d.t.Fatal("no window closed in 1000 rounds")
}

// warm runs at rtt with every slot used until the first probe of the
// unloaded service time is over.
func (d *driver) warm(rtt time.Duration) {
	d.t.Helper()
	for i := 0; d.l.Stats().MinRTT == 0 || d.l.Stats().Probing; i++ {
		if i > 1000 {
			d.t.Fatal("the first probe never ended")
		}
		d.round(math.MaxInt, rtt, release, true)
	}
}

func all() int { return math.MaxInt }

func constant(d time.Duration) func() time.Duration { return func() time.Duration { return d } }

// TestLimitRisesUnderLowLatency: at a constant service time, with every
// slot used, the limit climbs to MaxLimit and stays there.
func TestLimitRisesUnderLowLatency(t *testing.T) {
	d := newDriver(t, Config{MinLimit: 2, InitialLimit: 10, MaxLimit: 100, ProbeInterval: time.Hour})
	d.warm(10 * time.Millisecond)
	if got := d.l.Stats().MinRTT; got != 10*time.Millisecond {
		t.Fatalf("MinRTT after the first probe = %v, want 10ms", got)
	}
	prev := d.l.Stats().Limit
	d.run(3*time.Second, all, constant(10*time.Millisecond), func() {
		lim := d.l.Stats().Limit
		if lim < prev {
			t.Fatalf("limit fell from %d to %d at a constant service time", prev, lim)
		}
		if lim > 100 {
			t.Fatalf("limit %d above MaxLimit 100", lim)
		}
		prev = lim
	})
	if prev != 100 {
		t.Errorf("limit %d after 3 s at the unloaded service time, want MaxLimit 100", prev)
	}
}

// TestLimitFallsWhenRTTRises checks one window's step against the formula:
// gradient = clamp(1.25·minRTT/rtt, 0.5, 2), next = g·L + √(g·L), and the
// limit moves by Smoothing of the way there.
func TestLimitFallsWhenRTTRises(t *testing.T) {
	for _, tc := range []struct {
		smoothing float64
		rtt       time.Duration
	}{
		{1, 25 * time.Millisecond},   // gradient 0.5 (clamped from 0.5)
		{0.5, 25 * time.Millisecond}, // half the way
		{0.2, 25 * time.Millisecond},
		{1, 15 * time.Millisecond},   // gradient 0.833
		{0.5, 24 * time.Millisecond}, // under 2.5× the unloaded time: the gradient alone
	} {
		d := newDriver(t, Config{MinLimit: 2, InitialLimit: 40, MaxLimit: 40, Smoothing: tc.smoothing, ProbeInterval: time.Hour})
		d.warm(10 * time.Millisecond)
		l0 := float64(d.l.Stats().Limit)
		if l0 != 40 {
			t.Fatalf("limit %v after warming, want 40", l0)
		}
		d.window(all(), tc.rtt)
		g := min(max(1.25*10/float64(tc.rtt/time.Millisecond), 0.5), 2)
		want := int(l0 + tc.smoothing*(g*l0+math.Sqrt(g*l0)-l0))
		if got := d.l.Stats().Limit; got != want {
			t.Errorf("smoothing %v, rtt %v: limit %d after one window, want %d", tc.smoothing, tc.rtt, got, want)
		}
	}
}

// TestFarPastTargetCutsToLittlesLaw: a service time far past the target
// (over 2.5× the unloaded one) cuts the limit at once to what Little's law
// says the backend serves at the target latency — throughput × unloaded
// time × 1.25 — rather than the gradient's half-step.
func TestFarPastTargetCutsToLittlesLaw(t *testing.T) {
	d := newDriver(t, Config{MinLimit: 2, InitialLimit: 40, MaxLimit: 40, Smoothing: 1, ProbeInterval: time.Hour})
	d.warm(10 * time.Millisecond)
	d.window(all(), 50*time.Millisecond) // 40 at once for 50 ms: 800/s
	const little = 800 * 0.010 * 1.25    // 10
	gradient := 0.5*40 + math.Sqrt(0.5*40)
	// The driver's window also spans its own gaps, which lowers the
	// measured throughput: the cut may go below 10, never above it.
	if got := d.l.Stats().Limit; got < 2 || got > little {
		t.Errorf("limit %d after one window far past the target, want at most %v (the gradient alone gives %.0f)", got, little, gradient)
	}
}

// TestLimitStaysWithinMinMax: a service time far above the unloaded one
// drives the limit down to MinLimit and never below, probes included.
func TestLimitStaysWithinMinMax(t *testing.T) {
	d := newDriver(t, Config{MinLimit: 3, InitialLimit: 20, MaxLimit: 30, ProbeInterval: time.Hour})
	d.warm(10 * time.Millisecond)
	lowest := math.MaxInt
	// The backend gets slower with every window, so the probes never
	// catch up with it.
	rtt := 10 * time.Millisecond
	d.run(5*time.Second, all, func() time.Duration { rtt += rtt / 20; return rtt }, func() {
		s := d.l.Stats()
		if s.Limit < 3 || s.Limit > 30 {
			t.Fatalf("limit %d outside [3, 30]", s.Limit)
		}
		lowest = min(lowest, s.Limit)
	})
	if lowest != 3 {
		t.Errorf("lowest limit %d under an ever slower backend, want MinLimit 3", lowest)
	}
}

// TestLimitTracksABackend: a backend with 16 slots (the service time grows
// with the concurrency above 16) holds the limit near 16·(1+Tolerance)
// plus its headroom, not at MaxLimit.
func TestLimitTracksABackend(t *testing.T) {
	d := newDriver(t, Config{ProbeInterval: 2 * time.Second})
	backend := func() time.Duration {
		n := d.l.Stats().Limit
		return time.Duration(float64(10*time.Millisecond) * max(1, float64(n)/16))
	}
	d.warm(10 * time.Millisecond)
	var seen []int
	d.run(10*time.Second, all, backend, func() {
		if s := d.l.Stats(); !s.Probing {
			seen = append(seen, s.Limit)
		}
	})
	tail := seen[len(seen)/2:]
	lo, hi := math.MaxInt, 0
	for _, v := range tail {
		lo, hi = min(lo, v), max(hi, v)
	}
	t.Logf("limit over the last 5 s: %d-%d", lo, hi)
	if lo < 16 || hi > 32 {
		t.Errorf("limit ranged %d-%d over the last 5 s, want within [16, 32]: the backend's 16 slots plus a short queue", lo, hi)
	}
}

// TestLimitDoesNotGrowUnused: traffic that uses less than half of the
// limit does not raise it.
func TestLimitDoesNotGrowUnused(t *testing.T) {
	d := newDriver(t, Config{InitialLimit: 40, ProbeInterval: time.Hour})
	d.warm(10 * time.Millisecond)
	before := d.l.Stats().Limit
	d.run(3*time.Second, func() int { return before/2 - 1 }, constant(10*time.Millisecond), nil)
	if got := d.l.Stats().Limit; got != before {
		t.Errorf("limit %d after 3 s at under half of %d in use, want it unchanged", got, before)
	}
}

// TestDropBacksOff: a window with a Drop cuts the limit to at most 90%
// before smoothing, whatever the service time says.
func TestDropBacksOff(t *testing.T) {
	d := newDriver(t, Config{InitialLimit: 40, MaxLimit: 40, ProbeInterval: time.Hour, Smoothing: 1})
	d.warm(10 * time.Millisecond)
	before := d.l.Stats().Limit
	dropped := false
	for !d.round(all(), 10*time.Millisecond, func(p *Permit) {
		if !dropped && d.clk.t.Sub(d.l.epoch) > 0 {
			dropped = true
			p.Drop()
			return
		}
		p.Release()
	}, true) {
	}
	if got, want := d.l.Stats().Limit, int(0.9*float64(before)); got != want {
		t.Errorf("limit %d after a window with a Drop, from %d: want %d", got, before, want)
	}
}

// TestProbeRemeasures: every ProbeInterval (±10%) the limit is pinned to
// MinLimit until the unloaded service time is measured again, then
// restored; a backend that became slower is measured anew.
func TestProbeRemeasures(t *testing.T) {
	d := newDriver(t, Config{MinLimit: 4, InitialLimit: 30, MaxLimit: 30, ProbeInterval: time.Second})
	d.warm(10 * time.Millisecond)
	start := d.clk.t
	var probedAt time.Duration = -1
	d.run(1200*time.Millisecond, all, constant(10*time.Millisecond), func() {
		if s := d.l.Stats(); s.Probing && probedAt < 0 {
			probedAt = d.clk.t.Sub(start)
			if s.Limit != 4 {
				t.Errorf("limit %d while probing, want MinLimit 4", s.Limit)
			}
		}
	})
	if probedAt < 0 {
		t.Fatal("no probe within 1.2 s with ProbeInterval 1s")
	}
	d.run(500*time.Millisecond, all, constant(10*time.Millisecond), nil)
	if s := d.l.Stats(); s.Probing || s.Limit != 30 {
		t.Errorf("after the probe: probing %v, limit %d; want false, 30 restored", s.Probing, s.Limit)
	}
}

// TestProbeAfterSlowdown: a backend that became 3× slower for good (the
// service time stays over twice the allowed one while the limit falls) is
// re-measured within a few windows, long before ProbeInterval, and the
// limit comes back up on the new minimum.
func TestProbeAfterSlowdown(t *testing.T) {
	d := newDriver(t, Config{MinLimit: 4, InitialLimit: 30, MaxLimit: 30, ProbeInterval: time.Hour})
	d.warm(10 * time.Millisecond)
	lowest := math.MaxInt
	d.run(3*time.Second, all, constant(30*time.Millisecond), func() {
		if s := d.l.Stats(); !s.Probing {
			lowest = min(lowest, s.Limit)
		}
	})
	s := d.l.Stats()
	if s.MinRTT != 30*time.Millisecond {
		t.Errorf("MinRTT %v after 3 s of a backend 3× slower, want 30ms", s.MinRTT)
	}
	if lowest >= 30 || s.Limit != 30 {
		t.Errorf("limit fell to %d and is %d at the end; want it to fall, then come back to 30", lowest, s.Limit)
	}
}

// TestDeadlineRefusedAtAdmission: a request whose deadline leaves less
// than the service time is refused at once and never admitted; one with
// time enough is admitted.
func TestDeadlineRefusedAtAdmission(t *testing.T) {
	d := newDriver(t, Config{ProbeInterval: time.Hour})
	d.warm(10 * time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), d.clk.t.Add(5*time.Millisecond))
	defer cancel()
	before := d.l.Stats().AdmittedTotal()
	_, err := d.l.Acquire(ctx, Critical)
	var rej *Rejection
	if !errors.As(err, &rej) || rej.Reason != ReasonDeadline || rej.Waited != 0 || rej.Class != Critical {
		t.Fatalf("Acquire with 5ms left for a 10ms service = %v, want an immediate deadline refusal", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || rej.Status() != 504 {
		t.Errorf("deadline refusal: errors.Is DeadlineExceeded %v, status %d; want true, 504", errors.Is(err, context.DeadlineExceeded), rej.Status())
	}
	if s := d.l.Stats(); s.AdmittedTotal() != before || s.InFlight != 0 || s.Rejected[ReasonDeadline][Critical] != 1 {
		t.Errorf("after the refusal: admitted %d (was %d), in flight %d, deadline refusals %d", s.AdmittedTotal(), before, s.InFlight, s.Rejected[ReasonDeadline][Critical])
	}
	ctx2, cancel2 := context.WithDeadline(context.Background(), d.clk.t.Add(50*time.Millisecond))
	defer cancel2()
	p, err := d.l.Acquire(ctx2, Default)
	if err != nil {
		t.Fatalf("Acquire with 50ms left for a 10ms service: %v", err)
	}
	p.Release()
}

// TestNoProbeWhileTheLimitDoesNotBind: traffic that never reaches the
// limit is never held to MinLimit for a probe, however long it runs; its
// service time is measured as it goes.
func TestNoProbeWhileTheLimitDoesNotBind(t *testing.T) {
	d := newDriver(t, Config{InitialLimit: 64, MaxLimit: 64, ProbeInterval: time.Second})
	d.run(30*time.Second, func() int { return 8 }, constant(10*time.Millisecond), func() {
		if s := d.l.Stats(); s.Probing || s.Limit < 64 {
			t.Fatalf("limit %d, probing %v, with 8 of 64 in use: want neither a probe nor a lower limit", s.Limit, s.Probing)
		}
	})
	if got := d.l.Stats().MinRTT; got != 10*time.Millisecond {
		t.Errorf("MinRTT = %v, want the 10ms measured without a probe", got)
	}
}

// TestColdStartMeasuresFromTheFirstCompletions: before anything is
// measured, the first window closes at its tenth completion, long before
// the usual 100 ms, takes the unloaded service time from it, and leaves
// the limit where it was.
func TestColdStartMeasuresFromTheFirstCompletions(t *testing.T) {
	d := newDriver(t, Config{MinLimit: 2, InitialLimit: 40, MaxLimit: 100, ProbeInterval: time.Hour})
	if !d.round(10, 10*time.Millisecond, release, true) {
		t.Fatal("no window closed at the tenth completion of a cold limiter")
	}
	if s := d.l.Stats(); s.MinRTT != 10*time.Millisecond || s.Limit != 40 || s.Probing {
		t.Errorf("after the cold start's window: MinRTT %v, limit %d, probing %v; want 10ms, 40, false", s.MinRTT, s.Limit, s.Probing)
	}
	// Once measured, the window is at least 100 ms long again.
	if d.round(10, 10*time.Millisecond, release, true) {
		t.Error("a window closed 10 ms after the cold start's, want it to last 100 ms")
	}
}

// TestSlowStartDoublesWhileTheServiceTimeHolds: a binding limit doubles
// each window while the service time stays within the tolerance, and
// grows by the gradient alone once a window has gone past it.
func TestSlowStartDoublesWhileTheServiceTimeHolds(t *testing.T) {
	d := newDriver(t, Config{MinLimit: 2, InitialLimit: 10, MaxLimit: 1000, ProbeInterval: time.Hour})
	d.warm(10 * time.Millisecond)
	for want := 20; want <= 160; want *= 2 {
		d.window(all(), 10*time.Millisecond)
		if got := d.l.Stats().Limit; got != want {
			t.Fatalf("limit %d after a window at the unloaded service time, want %d (doubled)", got, want)
		}
	}
	d.window(all(), 14*time.Millisecond) // past 1.25 × 10 ms: slow start ends
	after := d.l.Stats().Limit
	d.window(all(), 10*time.Millisecond)
	g := 1.25 // the gradient at the unloaded time, smoothed by half
	want := int(float64(after) + 0.5*(g*float64(after)+math.Sqrt(g*float64(after))-float64(after)))
	// ±1: the limit is a float inside, an int in Stats.
	if got := d.l.Stats().Limit; got < want-1 || got > want+1 {
		t.Errorf("limit %d after slow start ended, from %d: want the gradient's %d", got, after, want)
	}
}

// TestLittlesCutIsNotSmoothed: the cut far past the target applies in
// full whatever Smoothing is.
func TestLittlesCutIsNotSmoothed(t *testing.T) {
	d := newDriver(t, Config{MinLimit: 2, InitialLimit: 40, MaxLimit: 40, Smoothing: 0.2, ProbeInterval: time.Hour})
	d.warm(10 * time.Millisecond)
	d.window(all(), 50*time.Millisecond)
	if got := d.l.Stats().Limit; got > 10 {
		t.Errorf("limit %d after a window at 5× the unloaded time with Smoothing 0.2, want ≤ 10 (Little's law, in full)", got)
	}
}

// TestLimitFallsOnlyWhereItBinds: a service time five times the unloaded
// one at 20 in flight under a limit of 40 (the clients' own concurrency: a
// closed loop, or a backend that batches) moves neither the limit nor a
// probe; the same at 40 in flight, where the limit binds, cuts it.
func TestLimitFallsOnlyWhereItBinds(t *testing.T) {
	d := newDriver(t, Config{MinLimit: 2, InitialLimit: 40, MaxLimit: 40, ProbeInterval: time.Hour})
	d.warm(10 * time.Millisecond)
	d.run(2*time.Second, func() int { return 20 }, constant(50*time.Millisecond), func() {
		if s := d.l.Stats(); s.Limit != 40 || s.Probing {
			t.Fatalf("limit %d, probing %v at 20 in flight under 40, want 40 and no probe", s.Limit, s.Probing)
		}
	})
	d.window(all(), 50*time.Millisecond)
	if got := d.l.Stats().Limit; got >= 40 {
		t.Errorf("limit %d after a window at 40 in flight, 5× the unloaded time: want it cut", got)
	}

	// With CutBelowUse (an upstream's bulkhead), 20 in flight is enough.
	d = newDriver(t, Config{MinLimit: 2, InitialLimit: 40, MaxLimit: 40, ProbeInterval: time.Hour, CutBelowUse: true})
	d.warm(10 * time.Millisecond)
	d.window(20, 50*time.Millisecond)
	if got := d.l.Stats().Limit; got >= 40 {
		t.Errorf("CutBelowUse: limit %d after a window at 20 in flight, 5× the unloaded time: want it cut", got)
	}
}
