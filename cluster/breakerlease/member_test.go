package breakerlease_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe/cluster/breakerlease"
	"github.com/troupe-go/troupe/internal/fakeclock"
)

// members returns n Members of the breaker "up" sharing o and clock.
func members(t *testing.T, n int, o *owner, clock *fakeclock.Clock, p breakerlease.Policy) []*breakerlease.Member {
	t.Helper()
	out := make([]*breakerlease.Member, n)
	for i := range out {
		m, err := breakerlease.New(breakerlease.Config{Name: "up", Policy: p, Transport: o, Members: func() int { return n },
			Lease: lease, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Close)
		out[i] = m
	}
	return out
}

// call makes one call through m that ends with o, and reports whether it
// was admitted.
func call(t *testing.T, m *breakerlease.Member, o breakerlease.Outcome) breakerlease.Decision {
	t.Helper()
	d := m.Admit(context.Background())
	if d.Lost {
		t.Fatalf("Admit = %+v with the owner up", d)
	}
	if d.Allowed {
		m.Done(d.Ticket, o)
	}
	return d
}

// Three members calling a failing upstream in turn trip the cluster's
// breaker after its consecutive_failures in all, and each refuses from its
// next lease on, within a lease period; the calls that fail meanwhile are
// bounded by the members' failure shares.
func TestMembersTripOnSummedFailures(t *testing.T) {
	clock := fakeclock.New()
	o := newOwner(clock.Now)
	ms := members(t, 3, o, clock, policy)
	failed := 0
	for i := 0; i < 100; i++ {
		m := ms[i%3]
		if d := call(t, m, breakerlease.Failure); d.Allowed {
			failed++
		}
		m.WaitIdle()
	}
	if got := o.state("up", policy); got != breakerlease.Open {
		t.Fatalf("owner's state after %d failures: %v, want open", failed, got)
	}
	// Each member learns of the trip when its share is spent: at most a
	// share (⌈6/3⌉ = 2) per member past the six that tripped it.
	if maxFailed := int(policy.ConsecutiveFailures) + 3*2; failed < int(policy.ConsecutiveFailures) || failed > maxFailed {
		t.Errorf("%d calls failed before every member refused, want %d to %d (not 3 × %d)", failed, policy.ConsecutiveFailures, maxFailed, policy.ConsecutiveFailures)
	}
	for i, m := range ms {
		d := call(t, m, breakerlease.Failure)
		if d.Allowed || d.State != breakerlease.Open || d.RetryAfter <= 0 || d.RetryAfter > policy.OpenTimeout {
			t.Errorf("member %d: %+v, want refused, open, Retry-After ≤ %v", i, d, policy.OpenTimeout)
		}
	}
	t.Logf("%d calls failed before all three members refused (trip at %d); %d renewals", failed, policy.ConsecutiveFailures, o.calls())
}

// A member that admits without failures learns of a trip that others
// caused within one lease period of asking for its lease, not later.
func TestMemberLearnsOfTripWithinLease(t *testing.T) {
	clock := fakeclock.New()
	o := newOwner(clock.Now)
	ms := members(t, 3, o, clock, policy)
	// a tells what it learns (the gauge of an upstream's breaker state).
	var mu sync.Mutex
	var states []breakerlease.State
	a, err := breakerlease.New(breakerlease.Config{Name: "up", Policy: policy, Transport: o, Members: func() int { return 3 },
		Lease: lease, Now: clock.Now, OnState: func(s breakerlease.State) {
			mu.Lock()
			states = append(states, s)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	ms[0] = a
	learnt := func(int) string {
		mu.Lock()
		defer mu.Unlock()
		return fmt.Sprint(states)
	}
	call(t, ms[0], breakerlease.Success) // a's lease runs from now
	ms[0].WaitIdle()
	for ms[1].Admit(context.Background()).Allowed || ms[2].Admit(context.Background()).Allowed {
		for _, m := range ms[1:] {
			if d := m.Admit(context.Background()); d.Allowed {
				m.Done(d.Ticket, breakerlease.Failure)
			}
			m.WaitIdle()
		}
	}
	if got := o.state("up", policy); got != breakerlease.Open {
		t.Fatalf("owner: %v, want open", got)
	}
	// a still holds a closed lease: it admits until the lease ends (its
	// view is stale by less than a lease period) …
	clock.Advance(lease / 2)
	d := call(t, ms[0], breakerlease.Success) // renews in the background, from half the lease on
	ms[0].WaitIdle()
	if !d.Allowed && d.State != breakerlease.Open {
		t.Fatalf("a at half its lease: %+v", d)
	}
	// … and refuses once the renewal has answered, at the latest when its
	// lease ends.
	clock.Advance(lease / 2)
	if d := call(t, ms[0], breakerlease.Success); d.Allowed || d.State != breakerlease.Open {
		t.Fatalf("a past its lease: %+v, want refused as open", d)
	}
	if got := learnt(0); got != fmt.Sprint([]breakerlease.State{breakerlease.Closed, breakerlease.Open}) {
		t.Errorf("a's OnState calls: %s, want closed then open", got)
	}
}

// After the open timeout one member probes; its success closes the
// breaker, and the others learn of it within a lease period.
func TestProbeClosesAndMembersLearn(t *testing.T) {
	clock := fakeclock.New()
	o := newOwner(clock.Now)
	p := policy
	p.ConsecutiveFailures = 1
	ms := members(t, 3, o, clock, p)
	call(t, ms[0], breakerlease.Failure)
	ms[0].WaitIdle()
	for i, m := range ms {
		if d := call(t, m, breakerlease.Success); d.Allowed {
			t.Fatalf("member %d admitted a call while open: %+v", i, d)
		}
	}
	clock.Advance(p.OpenTimeout)
	probe := ms[1].Admit(context.Background())
	if !probe.Allowed || probe.State != breakerlease.HalfOpen {
		t.Fatalf("first member past the timeout: %+v, want the probe", probe)
	}
	for _, i := range []int{0, 2} {
		if d := call(t, ms[i], breakerlease.Success); d.Allowed || d.State != breakerlease.HalfOpen || d.RetryAfter > lease {
			t.Fatalf("member %d while 1 probes: %+v, want refused half-open, Retry-After ≤ %v", i, d, lease)
		}
	}
	if d := ms[1].Admit(context.Background()); d.Allowed {
		t.Fatalf("a second probe on the prober: %+v, want refused (half_open_requests 1)", d)
	}
	ms[1].Done(probe.Ticket, breakerlease.Success) // reports at once
	if d := call(t, ms[1], breakerlease.Success); !d.Allowed || d.State != breakerlease.Closed {
		t.Fatalf("the prober right after its probe: %+v, want admitted, closed (it waits for the owner's verdict)", d)
	}
	if got := o.state("up", p); got != breakerlease.Closed {
		t.Fatalf("owner after the probe's success: %v, want closed", got)
	}
	clock.Advance(lease)
	for i, m := range ms {
		if d := call(t, m, breakerlease.Success); !d.Allowed || d.State != breakerlease.Closed {
			t.Errorf("member %d a lease period after the close: %+v, want admitted", i, d)
		}
	}
}

// A probe that fails opens the breaker again; a neutral one frees its
// slot for another probe.
func TestProbeFailsOrIsNeutral(t *testing.T) {
	clock := fakeclock.New()
	o := newOwner(clock.Now)
	p := policy
	p.ConsecutiveFailures = 1
	m := members(t, 1, o, clock, p)[0]
	call(t, m, breakerlease.Failure)
	m.WaitIdle()
	clock.Advance(p.OpenTimeout)
	d := m.Admit(context.Background())
	m.Done(d.Ticket, breakerlease.Neutral)
	d = m.Admit(context.Background())
	if !d.Allowed {
		t.Fatalf("after a neutral probe: %+v, want another probe", d)
	}
	m.Done(d.Ticket, breakerlease.Failure)
	m.WaitIdle()
	if got := o.state("up", p); got != breakerlease.Open {
		t.Fatalf("owner after a failed probe: %v, want open", got)
	}
	if d := m.Admit(context.Background()); d.Allowed || d.RetryAfter != p.OpenTimeout {
		t.Fatalf("after a failed probe: %+v, want refused for %v", d, p.OpenTimeout)
	}
}

// An owner that cannot be reached costs one call per back-off: meanwhile
// every call is decided as lost, without waiting.
func TestOwnerLost(t *testing.T) {
	clock := fakeclock.New()
	o := newOwner(clock.Now)
	m := members(t, 1, o, clock, policy)[0]
	o.set(true, false)
	for i := range 10 {
		d := m.Admit(context.Background())
		if !d.Lost || d.RetryAfter <= 0 {
			t.Fatalf("call %d with the owner down: %+v, want lost", i, d)
		}
	}
	o.set(false, false)
	if d := m.Admit(context.Background()); !d.Lost {
		t.Fatalf("within the back-off: %+v, want lost (not asked again)", d)
	}
	if n := o.calls(); n != 0 {
		t.Fatalf("the owner got %d calls, want none (it was down)", n)
	}
	clock.Advance(time.Second)
	if d := m.Admit(context.Background()); !d.Allowed {
		t.Fatalf("after the back-off, the owner up: %+v, want admitted", d)
	}
}

// A call to an owner that does not answer ends after Config.Timeout, and
// Close gives up a call in flight.
func TestOwnerHangs(t *testing.T) {
	clock := fakeclock.New()
	o := newOwner(clock.Now)
	m, err := breakerlease.New(breakerlease.Config{Name: "up", Policy: policy, Transport: o, Lease: lease, Now: clock.Now,
		Timeout: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	o.set(false, true)
	if d := m.Admit(context.Background()); !d.Lost {
		t.Fatalf("owner hangs: %+v, want lost after the timeout", d)
	}
	m.Close()
	if d := m.Admit(context.Background()); !d.Lost {
		t.Fatalf("after Close: %+v, want lost", d)
	}
}

func TestConfigErrors(t *testing.T) {
	o := newOwner(time.Now)
	for i, c := range []breakerlease.Config{
		{Policy: policy, Transport: o},
		{Name: "x", Policy: policy},
		{Name: "x", Transport: o},
		{Name: "x", Transport: o, Policy: func() breakerlease.Policy { p := policy; p.Buckets = 0; return p }()},
	} {
		if _, err := breakerlease.New(c); err == nil {
			t.Errorf("config %d: no error", i)
		}
	}
	if s := fmt.Sprint(breakerlease.Closed, breakerlease.HalfOpen, breakerlease.Open); s != "closed half_open open" {
		t.Errorf("states print as %q", s)
	}
}
