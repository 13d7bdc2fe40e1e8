package overload

import (
	"testing"
	"time"
)

// windowOf returns a window of the given service times.
func windowOf(ds ...time.Duration) window {
	var w window
	for _, d := range ds {
		w.count++
		w.sum += int64(d)
		w.sumSq += float64(d) * float64(d)
	}
	return w
}

// TestSteady: jittered work is steady, a mix of fast and slow work is not.
func TestSteady(t *testing.T) {
	ms := time.Millisecond
	if !steady(windowOf(18*ms, 20*ms, 22*ms, 19*ms, 21*ms)) {
		t.Error("work of 20 ms ±10% is not steady")
	}
	if steady(windowOf(2*ms, 38*ms, 2*ms, 38*ms, 2*ms, 38*ms)) {
		t.Error("work of 2 ms and 38 ms in turn is steady")
	}
}

// TestNextFree: the slot a waiter takes frees the service time after the
// admission of the permit in flight it follows (the oldest for the first
// waiter, the next for the second), and nothing is predicted while the
// service times are not steady, for more waiters than permits in flight,
// or before a measurement.
func TestNextFree(t *testing.T) {
	a := newAdmissions(4)
	if len(a.starts) < 8 {
		t.Fatalf("ring of %d for a limit of 4, want at least 8", len(a.starts))
	}
	for i := range int64(10) { // admissions at 0..9 ms; the last 4 in flight
		a.admitted(i * int64(time.Millisecond))
	}
	rtt := int64(20 * time.Millisecond)
	if _, ok := a.nextFree(0, 4, rtt); ok {
		t.Fatal("predicted before any steady window")
	}
	a.steady.Store(true)
	for ahead, want := range []int64{26, 27, 28, 29} {
		got, ok := a.nextFree(ahead, 4, rtt)
		if !ok || got != want*int64(time.Millisecond) {
			t.Errorf("ahead %d: %v %v, want %d ms", ahead, time.Duration(got), ok, want)
		}
	}
	if _, ok := a.nextFree(4, 4, rtt); ok {
		t.Error("predicted for more waiters than permits in flight")
	}
	if _, ok := a.nextFree(0, 4, 0); ok {
		t.Error("predicted without a service time")
	}
}
