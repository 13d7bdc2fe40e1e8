package overload

import (
	"math"
	"math/rand/v2"
	"time"
)

// Measurement windows: the limit is recomputed when a window closes, after
// at least windowMin and minSamples completions, or after windowMax with
// any.
const (
	windowMin  = 100 * time.Millisecond
	windowMax  = time.Second
	minSamples = 10
	// probeSamples is how many requests admitted at MinLimit's
	// concurrency a probe of the unloaded service time waits for.
	probeSamples = 8
	// probeMax ends a probe that has not collected its samples.
	probeMax = 2 * time.Second
	// staleWindows is how many windows in a row the service time may stay
	// above twice the allowed one (so that the limit falls as fast as it
	// can) before the limiter re-measures the unloaded service time: a
	// limit that high above the backend's capacity has been cut by half
	// by then; a backend that became slower keeps it up.
	staleWindows = 3
	// dropBackoff is the factor a window with a Drop applies to the limit.
	dropBackoff = 0.9
)

// window is what the permits that ended in one measurement window said.
type window struct {
	start       int64
	count       int     // Release samples
	sum         int64   // their total duration, ns
	sumSq       float64 // the sum of their squares, ns², for the spread (steady)
	drops       int
	maxInflight int
	probeCount  int // samples of permits admitted during the current probe
	probeSum    int64
}

// record adds an ended permit's outcome to the window, and closes the
// window when it is due.
func (l *Limiter) record(now, d int64, o outcome, p *Permit) {
	l.winMu.Lock()
	w := &l.win
	if o == outcomeDrop {
		w.drops++
	} else {
		w.count++
		w.sum += d
		w.sumSq += float64(d) * float64(d)
		probe := p.probe != 0 && l.probing.Load() && p.probe == l.probeGen.Load()
		if probe {
			w.probeCount++
			w.probeSum += d
		}
		wl := p.wl
		if wl == nil {
			wl = &l.def
		}
		l.addSample(wl, d, probe)
	}
	w.maxInflight = max(w.maxInflight, int(p.inflight))
	age := time.Duration(now - w.start)
	minRTT := time.Duration(l.minRTT.Load())
	due := age >= max(windowMin, minRTT) && (w.count >= minSamples || w.drops > 0 || age >= windowMax)
	if minRTT == 0 && w.count >= minSamples {
		// Cold start: the first requests to end are the ones that met an
		// idle server, the best estimate of the unloaded service time
		// there will be; waiting out windowMin would let an open limit
		// admit a tenth of a second of overload into the backend first.
		due = true
	}
	var snap window
	var wls []workloadSample
	if due {
		snap = *w
		*w = window{start: now}
		wls = l.takeWorkloads()
		if l.admissions != nil && snap.count >= minSamples {
			l.admissions.steady.Store(steady(snap))
		}
	}
	l.winMu.Unlock()
	if due {
		l.mu.Lock()
		l.controlLocked(now, snap, wls)
		l.dispatchLocked(now)
		l.mu.Unlock()
	}
}

// algorithm computes the next limit from the current one and a window.
type algorithm interface {
	next(cur float64, s sample) float64
}

// sample is a closed window as an algorithm sees it.
type sample struct {
	rtt         float64 // mean service time in the window, ns
	minRTT      float64 // the unloaded service time estimate, ns
	drops       int
	maxInflight int
}

// gradient is the limit algorithm: the gradient of Envoy's adaptive
// concurrency filter. The limit scales by (1+tolerance)·minRTT/rtt,
// clamped to [0.5, 2], plus a headroom of √limit; it does not grow past
// twice what the traffic used (an idle server keeps its limit).
type gradient struct{ tolerance float64 }

func (g gradient) next(cur float64, s sample) float64 {
	if s.rtt <= 0 || s.minRTT <= 0 {
		return cur // nothing measurable (work that took no time on the clock)
	}
	grad := min(max((1+g.tolerance)*s.minRTT/s.rtt, 0.5), 2)
	n := grad*cur + math.Sqrt(grad*cur)
	if n > cur && float64(s.maxInflight) < cur/2 {
		n = cur
	}
	if s.drops > 0 {
		n = min(n, cur*dropBackoff)
	}
	return n
}

// controller is the limit's state between windows. Guarded by Limiter.mu.
type controller struct {
	limit      float64
	minRTT     float64 // ns; 0 until measured
	rtt        float64 // smoothed, ns
	nextProbe  int64
	probeStart int64
	probeCount int
	probeSum   int64
	probeID    uint64      // counts probes
	probed     []*Workload // the workloads with samples in this probe
	saved      float64     // the limit before the probe
	stale      int
	// slowStart is true until the service time first rises past the
	// tolerance: until then a binding limit doubles each window, as TCP's
	// slow start does, so a cold limit reaches a healthy backend's real
	// concurrency in a few windows.
	slowStart bool
	attempts  uint64 // admitted + refused at the last window
	arrivals  float64
	served    float64 // per second, smoothed
}

func (c *controller) init(cfg Config) {
	c.limit = float64(cfg.InitialLimit)
	c.slowStart = true
}

// jitter returns d ± 10%, in ns.
func jitter(d time.Duration) int64 {
	return int64(d) + rand.Int64N(int64(d)/5+1) - int64(d)/10
}

// attempts returns every Acquire answered so far.
func (l *Limiter) attempts() uint64 {
	var n uint64
	for c := range NumClasses {
		n += l.admitted[c].Load()
		for r := range NumReasons {
			n += l.rejected[r][c].Load()
		}
	}
	return n
}

// controlLocked recomputes the limit and the estimates from a closed
// window.
func (l *Limiter) controlLocked(now int64, w window, wls []workloadSample) {
	c := &l.ctl
	secs := float64(max(now-w.start, int64(time.Millisecond))) / 1e9 // a window closed early may be as short as nothing
	att := l.attempts()
	arr, srv := float64(att-c.attempts)/secs, float64(w.count+w.drops)/secs
	c.attempts = att
	if c.served == 0 {
		c.arrivals, c.served = arr, srv
	} else {
		c.arrivals, c.served = (c.arrivals+arr)/2, (c.served+srv)/2
	}
	ra := time.Second
	if c.served > 0 {
		ra = time.Duration(math.Ceil(c.arrivals/c.served)) * time.Second
	}
	l.retryAfter.Store(int64(min(max(ra, time.Second), l.cfg.MaxRetryAfter)))

	var rtt float64
	if w.count > 0 {
		rtt = float64(w.sum) / float64(w.count)
		if c.rtt == 0 {
			c.rtt = rtt
		} else {
			c.rtt = (c.rtt + rtt) / 2
		}
		l.rttEst.Store(int64(c.rtt))
	}

	if l.probing.Load() {
		c.probeCount += w.probeCount
		c.probeSum += w.probeSum
		for _, s := range wls {
			if s.probeCount == 0 {
				continue
			}
			if s.wl.probeID != c.probeID {
				s.wl.probeID, s.wl.probeAccN, s.wl.probeAccSum = c.probeID, 0, 0
				c.probed = append(c.probed, s.wl)
			}
			s.wl.probeAccN += s.probeCount
			s.wl.probeAccSum += s.probeSum
		}
		if c.probeCount >= probeSamples || now-c.probeStart >= int64(probeMax) {
			if c.probeCount > 0 {
				c.minRTT = float64(c.probeSum) / float64(c.probeCount)
				l.minRTT.Store(int64(c.minRTT))
			}
			for i, wl := range c.probed { // each workload probed: its own figure
				wl.min = float64(wl.probeAccSum) / float64(wl.probeAccN)
				c.probed[i] = nil
			}
			c.probed = c.probed[:0]
			l.probing.Store(false)
			// Back to the limit from before the probe, kept between once
			// and twice what Little's law says the backend serves at the
			// unloaded service time just measured: a probe that began
			// while a backlog drained must not reopen the door to it, and
			// one that found the backend slower for good must not leave
			// the limit where the old service time put it.
			c.limit = c.saved
			if c.minRTT > 0 && c.served > 0 {
				little := c.served * c.minRTT / 1e9 * (1 + l.cfg.Tolerance)
				c.limit = min(max(min(c.limit, 2*little), little), float64(l.cfg.MaxLimit))
				c.limit = max(c.limit, float64(l.cfg.MinLimit))
			}
			c.slowStart = true
			l.limit.Store(int64(c.limit))
			c.nextProbe = now + jitter(l.cfg.ProbeInterval)
		}
		return
	}
	if w.count == 0 && w.drops == 0 {
		return
	}
	if w.count > 0 {
		// Each workload's unloaded time is the lowest of its windows'
		// means (or what the last probe measured); the window's is their
		// mean over its samples, so a change in the mix of cheap and
		// expensive requests moves it, not the gradient.
		first := c.minRTT == 0
		var base float64
		for _, s := range wls {
			if s.count == 0 {
				continue
			}
			if mean := float64(s.sum) / float64(s.count); s.wl.min == 0 || mean < s.wl.min {
				s.wl.min = mean
			}
			base += float64(s.count) * s.wl.min
		}
		c.minRTT = base / float64(w.count)
		l.minRTT.Store(int64(c.minRTT))
		if first {
			// The cold start's early window (see record) measured the
			// unloaded service time; it is too short to say what the
			// backend serves per second, so the limit waits for a full
			// window to move. It is the first probe, too: the next is due
			// an interval later.
			c.nextProbe = now + jitter(l.cfg.ProbeInterval)
			return
		}
	}
	if w.count == 0 {
		rtt = c.rtt // a window of drops only: the gradient is neutral
	}
	binding := w.maxInflight >= int(c.limit) || l.waiting.Load() > 0 // before the limit moves
	next := l.algo.next(c.limit, sample{rtt: rtt, minRTT: c.minRTT, drops: w.drops, maxInflight: w.maxInflight})
	jump := false // past smoothing: a brake, or slow start
	if w.drops > 0 || (w.count > 0 && rtt > (1+l.cfg.Tolerance)*c.minRTT) {
		c.slowStart = false
	} else if c.slowStart && binding {
		next, jump = max(next, 2*c.limit), true
	}
	if w.count > 0 && c.minRTT > 0 && rtt > 2*(1+l.cfg.Tolerance)*c.minRTT {
		// Far past the target: the gradient would take many windows to
		// come down from a high limit, with requests queueing inside all
		// the while. Little's law gives the concurrency the backend
		// serves at the target latency now: what it completes per second
		// times the unloaded service time, with the tolerance on top.
		little := float64(w.count) / secs * c.minRTT / 1e9 * (1 + l.cfg.Tolerance)
		next = min(next, max(little, float64(l.cfg.MinLimit)))
		jump = jump || next < c.limit
	}
	if !binding && !l.cfg.CutBelowUse && next < c.limit {
		// The limit falls only where it binds. Below it, the concurrency
		// is the clients' own (a closed loop of callers; a backend that
		// batches, whose latency rises with its throughput): cutting the
		// limit under it would turn the clients' own requests away, not
		// shed an excess. Once arrivals outrun the backend, the in-flight
		// count climbs to the limit within a window, and the cut follows.
		next = c.limit
	}
	minL, maxL := float64(l.cfg.MinLimit), float64(l.cfg.MaxLimit)
	if jump {
		// A brake is not a measurement to damp (every request admitted
		// past it waits inside the backend), and slow start doubles.
		c.limit = min(max(next, minL), maxL)
	} else {
		c.limit = min(max(c.limit+l.cfg.Smoothing*(next-c.limit), minL), maxL)
	}
	l.limit.Store(int64(c.limit))

	if (binding || l.cfg.CutBelowUse) && rtt > 2*(1+l.cfg.Tolerance)*c.minRTT {
		c.stale++
	} else {
		c.stale = 0
	}
	// A periodic probe only when the limit binds (requests reached it, or
	// wait): otherwise the service time is measured without one, and
	// pinning the limit low would only hold up requests for nothing.
	if c.stale >= staleWindows || (now >= c.nextProbe && binding) {
		c.stale = 0
		c.saved = c.limit
		c.probeStart, c.probeCount, c.probeSum = now, 0, 0
		c.probeID++
		l.probeGen.Add(1)
		l.probing.Store(true)
		l.limit.Store(int64(l.cfg.MinLimit))
	}
}
