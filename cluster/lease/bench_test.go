package lease_test

import (
	"testing"
	"time"

	"github.com/troupe-go/troupe/cluster/lease"
)

// BenchmarkTake measures a request's cost on the fast path: a token from
// this member's lease, with calls to the owner (an in-memory one here)
// only once per lease (of a bucket big enough that it never runs dry).
func BenchmarkTake(b *testing.B) {
	now := time.Unix(0, 0)
	clock := func() time.Time { return now }
	o := newOwner(clock)
	pool, err := lease.New(lease.Config{
		Name: "rl", Policy: lease.Policy{Interval: time.Nanosecond, Burst: 1 << 20},
		Transport: o, Members: func() int { return 3 }, Now: clock,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	b.ReportAllocs()
	for b.Loop() {
		if !pool.Take(b.Context(), "k").Allowed {
			b.Fatal("refused")
		}
	}
	b.ReportMetric(float64(b.N)/float64(o.callCount()), "requests/call")
}
