package overload

import "sync/atomic"

// admissions records when a static limit's recent permits were admitted,
// to predict when its slots free up: the permit admitted k-th after the
// oldest one in flight ends about the smoothed service time after its
// admission. Exact when work ends in the order it began (work that takes
// about the same time, as one stage's does); otherwise a guess that only
// ever refuses a waiter early, never admits one the queue bound refuses.
//
// Why: with a fixed number of slots and steady work, the slots keep the
// phase their first burst gave them, and completions come in bursts with
// gaps up to half the service time long (20 ms work, 16 slots: gaps of
// 10 ms). A waiter that joins at the start of a gap waits past the
// standing queue's target and is refused late; the average throughput the
// queue bound uses cannot see the gap, the admission times can.
type admissions struct {
	count  atomic.Uint64  // permits admitted so far
	starts []atomic.Int64 // admission times, ring by count; len a power of two ≥ the limit
}

// newAdmissions returns the ring of a limit of n slots.
func newAdmissions(n int) *admissions {
	size := 1
	for size < n {
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
	if rtt <= 0 || int64(ahead) >= inflight || inflight > int64(n) || inflight > int64(len(a.starts)) {
		return 0, false
	}
	// The oldest in flight was admitted inflight admissions ago; the
	// waiter takes the slot of the ahead-th after it.
	i := n - uint64(inflight) + uint64(ahead)
	return a.starts[i&uint64(len(a.starts)-1)].Load() + rtt, true
}
