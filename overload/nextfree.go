package overload

import (
	"math"
	"sync/atomic"
)

// admissions records when a static limit's recent permits were admitted,
// to predict when its slots free up: the permit admitted k-th after the
// oldest one in flight ends about the smoothed service time after its
// admission. That holds only when work ends in the order it began, that
// is when it takes about the same time: with mixed service times (a cache
// hit beside a miss) the newest admissions are not the permits still in
// flight, and the mean service time says little of when one ends, so the
// prediction would refuse waiters that a slot about to free would serve.
// It is therefore used only while the last measurement window was steady
// (see steady); otherwise the queue bound alone decides.
//
// Why: with a fixed number of slots and steady work, the slots keep the
// phase their first burst gave them, and completions come in bursts with
// gaps up to half the service time long (20 ms work, 16 slots: gaps of
// 10 ms). A waiter that joins at the start of a gap waits past the
// standing queue's target and is refused late; the average throughput the
// queue bound uses cannot see the gap, the admission times can.
type admissions struct {
	count  atomic.Uint64  // permits admitted so far
	starts []atomic.Int64 // admission times, ring by count; len a power of two ≥ twice the limit
	steady atomic.Bool    // the last window's service times were steady (see steady)
}

// newAdmissions returns the ring of a limit of n slots: twice as long as
// n, so that an admission being recorded never overwrites one that a
// prediction is reading.
func newAdmissions(n int) *admissions {
	size := 1
	for size < 2*n {
		size <<= 1
	}
	return &admissions{starts: make([]atomic.Int64, size)}
}

// admitted records a permit admitted at now.
func (a *admissions) admitted(now int64) {
	i := a.count.Add(1) - 1
	a.starts[i&uint64(len(a.starts)-1)].Store(now)
}

// nextFree returns when the slot that a waiter with ahead waiters before
// it would take frees up, given inflight permits and a service time of
// rtt, and false when it cannot tell (more waiters ahead than permits in
// flight, or no measurement yet).
func (a *admissions) nextFree(ahead int, inflight, rtt int64) (int64, bool) {
	n := a.count.Load()
	if !a.steady.Load() || rtt <= 0 || int64(ahead) >= inflight || inflight > int64(n) || inflight > int64(len(a.starts)) {
		return 0, false
	}
	// The oldest in flight was admitted inflight admissions ago; the
	// waiter takes the slot of the ahead-th after it.
	i := n - uint64(inflight) + uint64(ahead)
	return a.starts[i&uint64(len(a.starts)-1)].Load() + rtt, true
}

// steadySpread is the largest coefficient of variation (standard
// deviation over mean) of a window's service times for which the order
// of admissions predicts the order of completions: ±10% uniform jitter is
// about 0.06; a mix of 1 ms and 40 ms work is about 0.9.
const steadySpread = 0.25

// steady reports whether the service times of window w were steady enough
// for admissions to predict when slots free up.
func steady(w window) bool {
	n := float64(w.count)
	mean := float64(w.sum) / n
	variance := max(w.sumSq/n-mean*mean, 0)
	return mean > 0 && math.Sqrt(variance) <= steadySpread*mean
}
