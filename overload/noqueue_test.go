package overload

import (
	"context"
	"errors"
	"testing"
	"time"
)

// With NoQueue, a request past the limit is refused at once, for lack of
// room (ReasonLimit), and nobody waits.
func TestNoQueueRefusesAtOnce(t *testing.T) {
	l, err := New(Config{MinLimit: 2, MaxLimit: 2, InitialLimit: 2, NoQueue: true})
	if err != nil {
		t.Fatal(err)
	}
	a, errA := l.Acquire(context.Background(), Default)
	b, errB := l.Acquire(context.Background(), Critical)
	if errA != nil || errB != nil {
		t.Fatalf("the first two: %v, %v", errA, errB)
	}
	_, err = l.Acquire(context.Background(), Critical)
	var rej *Rejection
	if !errors.As(err, &rej) || rej.Reason != ReasonLimit || rej.Waited != 0 {
		t.Fatalf("the third: %v, want an immediate refusal for lack of room", err)
	}
	if q := l.Stats().QueuedTotal(); q != 0 {
		t.Errorf("%d queued, want none", q)
	}
	a.Release()
	b.Release()
	if s := l.Stats(); s.InFlight != 0 {
		t.Errorf("in flight %d after the releases, want 0", s.InFlight)
	}
}

// Measure takes the service time when it is called, and the end of the
// permit adds nothing: a long tail after the answer (a streamed body)
// does not count as service time.
func TestMeasureTakesTheSampleEarly(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	l, err := New(Config{MinLimit: 1, MaxLimit: 1, InitialLimit: 1}, WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	// Enough permits for a window to close: ≥ 10 samples over ≥ 100 ms.
	for range 12 {
		p, err := l.Acquire(context.Background(), Default)
		if err != nil {
			t.Fatal(err)
		}
		clk.advance(10 * time.Millisecond)
		p.Measure()
		clk.advance(time.Second) // the tail: not service time
		p.Release()
		if s := l.Stats(); s.InFlight != 0 {
			t.Fatalf("in flight %d after Release, want 0", s.InFlight)
		}
	}
	if got := l.Stats().RTT; got != 10*time.Millisecond {
		t.Errorf("service time %v, want the 10ms measured before the tail", got)
	}
}
