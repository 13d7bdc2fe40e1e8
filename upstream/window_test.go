package upstream

import (
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// rollingScenario runs, under synctest: 12 successes at t=0, 5 failures at
// t=9.5s, then at t=10.5s 5 more failures; it returns the breaker's state.
// With a 10s window of 10 buckets, the successes have rolled out and the
// last 10 calls all failed: open. With one bucket (a fixed window), the
// window restarted at t=10s and holds 5 calls, below the minimum: closed.
// Were nothing forgotten, 10 failures of 22 calls: closed.
func rollingScenario(t *testing.T, buckets int) State {
	var got State
	synctest.Test(t, func(t *testing.T) {
		s := newScript(t, BreakerConfig{ConsecutiveFailures: 100, FailureRatio: 0.5, MinimumCalls: 10,
			Window: 10 * time.Second, Buckets: buckets})
		s.answer(200, false)
		for range 12 {
			s.get(200, "")
		}
		time.Sleep(9500 * time.Millisecond)
		s.answer(500, false)
		for range 5 {
			s.get(500, "")
		}
		s.state(Closed)
		time.Sleep(time.Second)
		for range 5 {
			a := get(t, s.p, "/x", time.Hour)
			if a.status != 500 && a.status != 503 {
				t.Fatalf("GET = %d, want the upstream's 500 or the open breaker's 503", a.status)
			}
		}
		got = s.p.up.Status().State
	})
	return got
}

// The failure-ratio window rolls a bucket at a time: old calls are
// forgotten, recent ones kept.
func TestBreakerRollingWindow(t *testing.T) {
	if got := rollingScenario(t, 10); got != Open {
		t.Errorf("10 buckets: breaker %s, want open (the old successes rolled out, the recent failures stayed)", got)
	}
	if got := rollingScenario(t, 1); got != Closed {
		t.Errorf("1 bucket: breaker %s, want closed (the fixed window restarted at 10s)", got)
	}
}

// Every state change is logged: opening at Warn, the others at Info.
func TestBreakerStateChangesLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		core, logs := observer.New(zapcore.InfoLevel)
		s := newScript(t, BreakerConfig{ConsecutiveFailures: 1, OpenTimeout: time.Second, HalfOpenRequests: 1}, WithLogger(zap.New(core)))
		s.answer(500, false)
		s.get(500, "")
		s.state(Open)
		time.Sleep(1100 * time.Millisecond)
		s.answer(200, false)
		s.get(200, "")
		s.state(Closed)
		type change struct {
			level    zapcore.Level
			from, to string
		}
		var got []change
		for _, e := range logs.FilterMessage("upstream circuit breaker changed state").All() {
			m := e.ContextMap()
			got = append(got, change{e.Level, m["from"].(string), m["to"].(string)})
			if m["upstream"] != "test" {
				t.Errorf("log line %v lacks the upstream's name", m)
			}
		}
		want := []change{{zapcore.WarnLevel, "closed", "open"}, {zapcore.InfoLevel, "open", "half_open"}, {zapcore.InfoLevel, "half_open", "closed"}}
		if len(got) != len(want) {
			t.Fatalf("state changes logged: %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("change %d logged as %v, want %v", i, got[i], want[i])
			}
		}
	})
}
