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
