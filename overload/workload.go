package overload

import (
	"context"
	"time"
)

// Workload is one kind of work behind a Limiter with its own unloaded
// service time: a route, say. A limiter in front of routes as different
// as a 50 µs lookup and a 100 ms query judges each sample against its own
// workload's unloaded time, so a quiet spell of cheap requests does not
// make the next expensive one look like overload (one service-time figure
// for the mix would: the cheap ones set it, and the expensive ones then
// seem to run at a thousand times it). Limiter.Acquire uses the limiter's
// own workload; a caller with several kinds of work makes one Workload per
// kind with NewWorkload and acquires through it.
//
// A Workload holds no goroutine and needs no Close: one that is no longer
// used is garbage.
type Workload struct {
	l *Limiter
	// The current window's samples; guarded by l.winMu.
	count, sum           int64
	probeCount, probeSum int64
	window               uint64 // the window these belong to
	// The unloaded service time, ns, 0 until measured; and the probe's
	// samples so far. Guarded by l.mu.
	min                    float64
	probeAccN, probeAccSum int64
	probeID                uint64
}

// NewWorkload returns a new kind of work for l, with its own unloaded
// service time.
func (l *Limiter) NewWorkload() *Workload { return &Workload{l: l} }

// Acquire is Limiter.Acquire for a request of this workload.
func (w *Workload) Acquire(ctx context.Context, c Class) (Permit, error) {
	d, _ := ctx.Deadline()
	return w.AcquireUntil(ctx, c, d)
}

// AcquireUntil is Limiter.AcquireUntil for a request of this workload.
func (w *Workload) AcquireUntil(ctx context.Context, c Class, d time.Time) (Permit, error) {
	p, err := w.l.acquire(ctx, c, d)
	p.wl = w
	return p, err
}

// workloadSample is one workload's part of a closed window.
type workloadSample struct {
	wl                   *Workload
	count, sum           int64
	probeCount, probeSum int64
}

// addSample adds a Release sample of d ns to w's part of the current
// window, registering w with it on its first sample. Called with
// l.winMu held.
func (l *Limiter) addSample(w *Workload, d int64, probe bool) {
	if w.window != l.winGen {
		w.window = l.winGen
		w.count, w.sum, w.probeCount, w.probeSum = 0, 0, 0, 0
		l.winWorkloads = append(l.winWorkloads, w)
	}
	w.count++
	w.sum += d
	if probe {
		w.probeCount++
		w.probeSum += d
	}
}

// takeWorkloads returns the closing window's samples by workload and
// starts a new window. Called with l.winMu held.
func (l *Limiter) takeWorkloads() []workloadSample {
	out := make([]workloadSample, len(l.winWorkloads))
	for i, w := range l.winWorkloads {
		out[i] = workloadSample{wl: w, count: w.count, sum: w.sum, probeCount: w.probeCount, probeSum: w.probeSum}
		l.winWorkloads[i] = nil
	}
	l.winWorkloads = l.winWorkloads[:0]
	l.winGen++
	return out
}
