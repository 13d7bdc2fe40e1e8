package lease_test

import (
	"testing"
	"time"

	"github.com/troupe-go/troupe/cluster/lease"
)

func TestBucketLease(t *testing.T) {
	p := lease.Policy{Interval: 100 * time.Millisecond, Burst: 10}
	ms := int64(time.Millisecond)
	var b lease.Bucket
	steps := []struct {
		name              string
		now, want, giveBk int64
		granted           int64
		retry             time.Duration
	}{
		{name: "a full bucket grants what is asked", now: 0, want: 4, granted: 4},
		{name: "then what is left", now: 0, want: 8, granted: 6},
		{name: "empty: nothing, and when a token is back", now: 0, want: 1, granted: 0, retry: 100 * time.Millisecond},
		{name: "time refills it", now: 250 * ms, want: 5, granted: 2},
		{name: "tokens given back are granted again", now: 250 * ms, want: 5, giveBk: 3, granted: 3},
		{name: "giving back cannot overfill it", now: 10_000 * ms, want: 20, giveBk: 50, granted: 10},
	}
	for _, s := range steps {
		g, r := b.Lease(p, s.now, s.want, s.giveBk)
		if g != s.granted || r != s.retry {
			t.Fatalf("%s: Lease(now=%d, want=%d, returned=%d) = %d, %v; want %d, %v", s.name, s.now, s.want, s.giveBk, g, r, s.granted, s.retry)
		}
	}
}
