package breakerconf_test

import (
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
	"github.com/troupe-go/troupe/internal/breakerconf"
)

func TestDefaultsAndProblems(t *testing.T) {
	r := breakerconf.Rule{}.WithDefaults()
	if r.ConsecutiveFailures != 5 || r.MinimumCalls != 20 || r.Window != 10*time.Second || r.Buckets != 10 ||
		r.OpenTimeout != 30*time.Second || r.HalfOpenRequests != 1 || len(r.FailureStatuses) != 1 {
		t.Errorf("defaults = %+v", r)
	}
	if _, ps := r.Problems(); len(ps) != 0 {
		t.Errorf("the defaults have problems: %v", ps)
	}
	bad := breakerconf.Rule{FailureRatio: 2, Window: -time.Second, OpenTimeout: -1, SlowCallDuration: -1, FailureStatuses: []string{"6xx"}}
	_, ps := bad.Problems()
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	want := []string{"failure_ratio", "window", "buckets", "open_timeout", "slow_call_duration", "failure_statuses"}
	if len(keys) != len(want) {
		t.Fatalf("problems of %+v: %v, want keys %v", bad, ps, want)
	}
	for i := range want {
		if keys[i] != want[i] {
			t.Errorf("problem %d is of %s, want %s", i, keys[i], want[i])
		}
	}
}

func TestReadyToTrip(t *testing.T) {
	r := breakerconf.Rule{ConsecutiveFailures: 3, FailureRatio: 0.5, MinimumCalls: 10}
	for _, tt := range []struct {
		c    gobreaker.Counts
		want bool
	}{
		{gobreaker.Counts{ConsecutiveFailures: 3, TotalFailures: 3}, true},
		{gobreaker.Counts{ConsecutiveFailures: 2, TotalSuccesses: 5, TotalFailures: 4}, false}, // 9 calls: under the minimum
		{gobreaker.Counts{ConsecutiveFailures: 2, TotalSuccesses: 5, TotalFailures: 5}, true},
		{gobreaker.Counts{ConsecutiveFailures: 1, TotalSuccesses: 6, TotalFailures: 4}, false},
	} {
		if got := r.ReadyToTrip(tt.c); got != tt.want {
			t.Errorf("ReadyToTrip(%+v) = %v, want %v", tt.c, got, tt.want)
		}
	}
	st := r.WithDefaults().Settings("x", nil)
	if st.BucketPeriod != time.Second || st.Timeout != 30*time.Second || st.MaxRequests != 1 {
		t.Errorf("Settings = %+v", st)
	}
}
