package lease_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/troupe-go/troupe/cluster/lease"
	"github.com/troupe-go/troupe/internal/fakeclock"
)

func newPool(t *testing.T, o lease.Transport, clock *fakeclock.Clock, members int, p lease.Policy, loss lease.Loss) *lease.Pool {
	t.Helper()
	pool, err := lease.New(lease.Config{
		Name: "rl", Policy: p, Transport: o, OnLoss: loss,
		Members: func() int { return members },
		Now:     clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Three members sharing one bucket admit what the bucket gives — its burst
// plus its rate over the time that passed — not three times that, and
// strand at most their leases' worth of it.
func TestPoolsShareOneBucket(t *testing.T) {
	clock := fakeclock.New()
	o := newOwner(clock.Now)
	p := lease.Policy{Interval: 100 * time.Millisecond, Burst: 30}
	const members, steps, perStep = 3, 50, 5
	pools := make([]*lease.Pool, members)
	for i := range pools {
		pools[i] = newPool(t, o, clock, members, p, lease.FailClosed)
	}
	admitted := 0
	for range steps {
		clock.Advance(p.Interval)
		for _, pool := range pools {
			for range perStep {
				d := pool.Take(t.Context(), "k")
				if d.Lost {
					t.Fatalf("Take = %+v: the owner is up", d)
				}
				if d.Allowed {
					admitted++
				}
			}
		}
	}
	issued := int(p.Burst) + steps // one token per interval, and the burst
	want := int(pools[0].Want())
	stranded := members * (want + want/2 + 1) // leases held, at most, and a token each in an empty window
	t.Logf("admitted %d of %d offered; the bucket gave at most %d; %d calls to the owner", admitted, steps*members*perStep, issued, o.callCount())
	if admitted > issued {
		t.Errorf("admitted %d, want at most %d (burst %d + %d intervals)", admitted, issued, p.Burst, steps)
	}
	if admitted < issued-stranded {
		t.Errorf("admitted %d, want at least %d (what the bucket gave less what %d members' leases can hold)", admitted, issued-stranded, members)
	}
}

// Under the limit, a member asks the owner about once per lease, not once
// per request.
func TestPoolCallsOncePerLease(t *testing.T) {
	clock := fakeclock.New()
	o := newOwner(clock.Now)
	p := lease.Policy{Interval: time.Millisecond, Burst: 600} // 1000/s
	const members = 3
	pools := make([]*lease.Pool, members)
	for i := range pools {
		pools[i] = newPool(t, o, clock, members, p, lease.FailClosed)
	}
	want := int(pools[0].Want())
	const n = 3000
	for i := range n {
		clock.Advance(2 * time.Millisecond) // 500 requests/s offered in all…
		if d := pools[i%members].Take(t.Context(), "k"); !d.Allowed {
			t.Fatalf("request %d: Take = %+v, want allowed (…against 1000/s: under the rate)", i, d)
		}
	}
	for _, pool := range pools {
		pool.Close() // waits for calls in flight
	}
	calls := o.callCount()
	t.Logf("%d requests, lease of %d tokens: %d calls to the owner (%.1f requests per call)", n, want, calls, float64(n)/float64(calls))
	if most := n/want + 2*members; calls > most {
		t.Errorf("%d calls for %d requests with leases of %d, want at most %d", calls, n, want, most)
	}
}

func TestPoolFailClosed(t *testing.T) {
	clock := fakeclock.New()
	o := newOwner(clock.Now)
	o.set(func(o *owner) { o.down = true })
	p := lease.Policy{Interval: time.Second, Burst: 10}
	pool := newPool(t, o, clock, 1, p, lease.FailClosed)
	d := pool.Take(t.Context(), "k")
	if d.Allowed || !d.Lost || d.RetryAfter <= 0 {
		t.Fatalf("Take with the owner down = %+v, want refused, lost, with a Retry-After", d)
	}
	for range 10 {
		pool.Take(t.Context(), "k")
	}
	if c := o.callCount(); c != 1 {
		t.Errorf("%d calls during the back-off, want 1: a lost owner is not asked for every request", c)
	}
	o.set(func(o *owner) { o.down = false })
	clock.Advance(time.Second) // the default back-off
	if d := pool.Take(t.Context(), "k"); !d.Allowed || d.Lost {
		t.Errorf("Take after the back-off with the owner back = %+v, want allowed", d)
	}
}

func TestPoolFailOpenLimitsLocally(t *testing.T) {
	clock := fakeclock.New()
	o := newOwner(clock.Now)
	o.set(func(o *owner) { o.down = true })
	p := lease.Policy{Interval: time.Hour, Burst: 5}
	pool := newPool(t, o, clock, 3, p, lease.FailOpen)
	admitted := 0
	for range 20 {
		d := pool.Take(t.Context(), "k")
		if !d.Lost {
			t.Fatalf("Take = %+v, want lost", d)
		}
		if d.Allowed {
			admitted++
		}
	}
	if admitted != int(p.Burst) {
		t.Errorf("admitted %d with the owner lost, want %d: this member's own bucket", admitted, p.Burst)
	}
}

// An owner that does not answer costs a request at most Config.Timeout.
func TestPoolNeverHangs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := newOwner(time.Now)
		o.set(func(o *owner) { o.block = true })
		pool, err := lease.New(lease.Config{
			Name: "rl", Policy: lease.Policy{Interval: time.Second, Burst: 10},
			Transport: o, OnLoss: lease.FailClosed, Timeout: 250 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		start := time.Now()
		d := pool.Take(t.Context(), "k")
		if took := time.Since(start); took != 250*time.Millisecond || d.Allowed || !d.Lost {
			t.Errorf("Take against a silent owner = %+v after %v, want refused and lost after 250ms", d, took)
		}
		// A request whose context ends first stops waiting then.
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
		defer cancel()
		start = time.Now()
		pool.Take(ctx, "other")
		if took := time.Since(start); took != 10*time.Millisecond {
			t.Errorf("Take with a 10ms context took %v", took)
		}
	})
}

// Tokens unspent when a lease expires go back to the bucket.
func TestPoolGivesBackExpiredLeases(t *testing.T) {
	clock := fakeclock.New()
	o := newOwner(clock.Now)
	p := lease.Policy{Interval: time.Hour, Burst: 10} // no refill during the test
	pool := newPool(t, o, clock, 1, p, lease.FailClosed)
	if d := pool.Take(t.Context(), "k"); !d.Allowed {
		t.Fatalf("Take = %+v", d)
	}
	want := pool.Want()
	if got := o.tokens("rl/k", p); got != p.Burst-want {
		t.Fatalf("bucket holds %d after a lease of %d, want %d", got, want, p.Burst-want)
	}
	clock.Advance(time.Second) // the default TTL
	pool.Sweep()
	pool.Close() // waits for the call that gives back
	if got := o.tokens("rl/k", p); got != p.Burst-1 {
		t.Errorf("bucket holds %d after the lease expired, want %d: all but the one spent", got, p.Burst-1)
	}
}

// Concurrent requests on a few keys, with calls to the owner in flight and
// time moving, admit no more than the buckets give (and, under -race,
// share the pool's state safely).
func TestPoolConcurrentTakes(t *testing.T) {
	clock := fakeclock.New()
	o := newOwner(clock.Now)
	p := lease.Policy{Interval: 10 * time.Millisecond, Burst: 20}
	pools := []*lease.Pool{
		newPool(t, o, clock, 2, p, lease.FailClosed),
		newPool(t, o, clock, 2, p, lease.FailClosed),
	}
	keys := []string{"a", "b", "c"}
	const workers, each, ticks = 8, 200, 100
	var admitted [3]atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				k := (w + i) % len(keys)
				if d := pools[w%2].Take(t.Context(), keys[k]); d.Allowed {
					admitted[k].Add(1)
				}
			}
		})
	}
	wg.Go(func() {
		for range ticks {
			clock.Advance(p.Interval)
			runtime.Gosched()
		}
	})
	wg.Wait()
	most := p.Burst + ticks // every token the bucket can have given
	for k := range keys {
		if got := admitted[k].Load(); got > most {
			t.Errorf("key %s: admitted %d, want at most %d", keys[k], got, most)
		}
	}
}
