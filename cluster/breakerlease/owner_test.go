package breakerlease_test

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/troupe-go/troupe/cluster/breakerlease"
)

// owner is an in-memory Transport: one process owning every breaker, as
// the grains do across a cluster, with a switch that makes it
// unreachable.
type owner struct {
	now func() time.Time

	mu       sync.Mutex
	breakers map[string]*breakerlease.Breaker
	reports  []breakerlease.Report
	down     bool
	block    bool // calls wait for their context to end
}

func newOwner(now func() time.Time) *owner {
	return &owner{now: now, breakers: map[string]*breakerlease.Breaker{}}
}

var errDown = errors.New("owner unreachable")

func (o *owner) Renew(ctx context.Context, id string, p breakerlease.Policy, lease time.Duration, r breakerlease.Report) (breakerlease.Grant, error) {
	o.mu.Lock()
	block, down := o.block, o.down
	o.mu.Unlock()
	if block {
		<-ctx.Done()
		return breakerlease.Grant{}, ctx.Err()
	}
	if down {
		return breakerlease.Grant{}, errDown
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reports = append(o.reports, r)
	b := o.breakers[id]
	if b == nil {
		b = &breakerlease.Breaker{}
		o.breakers[id] = b
	}
	return b.Renew(p, o.now().UnixNano(), lease, r), nil
}

// state returns the state of breaker id now.
func (o *owner) state(id string, p breakerlease.Policy) breakerlease.State {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.breakers[id]
	if b == nil {
		return breakerlease.Closed
	}
	return b.State(p, o.now().UnixNano())
}

// calls returns how many renewals reached the owner.
func (o *owner) calls() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.reports)
}

func (o *owner) set(down, block bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.down, o.block = down, block
}
