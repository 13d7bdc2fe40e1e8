package lease_test

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/troupe-go/troupe/cluster/lease"
)

// owner is an in-memory Transport: one process owning every bucket, as the
// grains do across a cluster, with a switch that makes it unreachable.
type owner struct {
	now func() time.Time

	mu      sync.Mutex
	buckets map[string]*lease.Bucket
	calls   int
	down    bool
	block   bool // calls wait for their context to end
}

func newOwner(now func() time.Time) *owner {
	return &owner{now: now, buckets: map[string]*lease.Bucket{}}
}

var errDown = errors.New("owner unreachable")

func (o *owner) Lease(ctx context.Context, id string, p lease.Policy, want, returned int64) (int64, time.Duration, error) {
	o.mu.Lock()
	o.calls++
	block, down := o.block, o.down
	o.mu.Unlock()
	if block {
		<-ctx.Done()
		return 0, 0, ctx.Err()
	}
	if down {
		return 0, 0, errDown
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.buckets[id]
	if b == nil {
		b = &lease.Bucket{}
		o.buckets[id] = b
	}
	g, r := b.Lease(p, o.now().UnixNano(), want, returned)
	return g, r, nil
}

func (o *owner) set(f func(o *owner)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f(o)
}

func (o *owner) callCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.calls
}

func (o *owner) tokens(id string, p lease.Policy) int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.buckets[id]
	if b == nil {
		return p.Burst
	}
	return b.Tokens(p, o.now().UnixNano())
}
