package supervisor

import (
	"testing"
	"time"
)

func TestPolicyDefaults(t *testing.T) {
	got := DefaultPolicy()
	want := Policy{MaxRestarts: 100, Window: time.Second, Backoff: time.Second, MaxBackoff: 30 * time.Second}
	if got != want {
		t.Errorf("DefaultPolicy() = %+v, want %+v", got, want)
	}
	if p := (Policy{Backoff: time.Minute}).withDefaults(); p.MaxBackoff != time.Minute {
		t.Errorf("MaxBackoff below Backoff: got %s, want it raised to %s", p.MaxBackoff, time.Minute)
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name string
		give Policy
		ok   bool
	}{
		{"zero", Policy{}, true},
		{"set", Policy{MaxRestarts: 3, Window: time.Second, Backoff: time.Second, MaxBackoff: time.Minute}, true},
		{"negative restarts", Policy{MaxRestarts: -1}, false},
		{"negative window", Policy{Window: -time.Second}, false},
		{"negative backoff", Policy{Backoff: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.give.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate(%+v) = %v, want ok=%v", tt.give, err, tt.ok)
			}
		})
	}
}

// A stage's failure record grows with its failures, not with its policy:
// a max_restarts of 10^8 (an 80-byte config) once cost 2.4 GB up front.
func TestHealthMemoryFollowsFailures(t *testing.T) {
	clock := &steppedClock{now: time.Unix(0, 0)}
	h := newHealth("s", Policy{MaxRestarts: 100_000_000, Window: time.Second}, clock)
	if c := cap(h.failures); c != 0 {
		t.Fatalf("a new stage holds room for %d failures, want none", c)
	}
	for range 1000 {
		h.failed()
		clock.now = clock.now.Add(10 * time.Millisecond) // 100 a second: the window holds at most ~100
	}
	if n := len(h.failures); n > 101 {
		t.Errorf("after 1000 failures at 100 a second, %d are kept, want only those within the 1 s window", n)
	}
}

// steppedClock is a clock the test moves by hand; nothing here waits on it.
type steppedClock struct{ now time.Time }

func (c *steppedClock) Now() time.Time                        { return c.now }
func (c *steppedClock) AfterFunc(time.Duration, func()) Timer { return stoppedTimer{} }

type stoppedTimer struct{}

func (stoppedTimer) Stop() bool { return false }
