package breakerlease_test

import (
	"testing"
	"time"

	"github.com/troupe-go/troupe/cluster/breakerlease"
)

var policy = breakerlease.Policy{
	ConsecutiveFailures: 6,
	MinimumCalls:        20,
	Window:              10 * time.Second,
	Buckets:             10,
	OpenTimeout:         30 * time.Second,
	HalfOpenRequests:    1,
}

const lease = time.Second

// Failures in a row from several members add up; a success ends the run,
// leaving the failures reported after it.
func TestBreakerSumsFailuresOfAllMembers(t *testing.T) {
	var b breakerlease.Breaker
	g := b.Renew(policy, 0, lease, breakerlease.Report{Member: "a", Members: 3})
	if g.State != breakerlease.Closed || g.Failures != 2 {
		t.Fatalf("first grant = %+v, want closed with ⌈6/3⌉ = 2 failures", g)
	}
	gen := g.Generation
	g = b.Renew(policy, 1, lease, breakerlease.Report{Member: "a", Generation: gen, Failures: 2, Trailing: 2, Members: 3})
	if g.Failures != 2 { // ⌈4/3⌉
		t.Fatalf("after 2 failures: %+v, want 2 failures allowed", g)
	}
	g = b.Renew(policy, 2, lease, breakerlease.Report{Member: "b", Generation: gen, Successes: 1, Failures: 3, Trailing: 1, Members: 3})
	if g.State != breakerlease.Closed || g.Failures != 2 { // the run is 1: ⌈5/3⌉
		t.Fatalf("after a success then 1 failure: %+v, want closed, 2 failures allowed", g)
	}
	g = b.Renew(policy, 3, lease, breakerlease.Report{Member: "c", Generation: gen, Failures: 4, Trailing: 4, Members: 3})
	if g.State != breakerlease.Closed || g.Failures != 1 {
		t.Fatalf("run of 5: %+v, want closed with 1 failure allowed", g)
	}
	g = b.Renew(policy, 4, lease, breakerlease.Report{Member: "a", Generation: gen, Failures: 1, Trailing: 1, Members: 3})
	if g.State != breakerlease.Open || g.OpenFor != policy.OpenTimeout || g.Generation == gen {
		t.Fatalf("run of 6: %+v, want open for %v in a new generation", g, policy.OpenTimeout)
	}
	// Counts of the old generation, arriving late, change nothing.
	g2 := b.Renew(policy, 5, lease, breakerlease.Report{Member: "b", Generation: gen, Successes: 100, Members: 3})
	if g2.State != breakerlease.Open || g2.Generation != g.Generation {
		t.Fatalf("late counts: %+v, want still open in generation %d", g2, g.Generation)
	}
}

// The failure ratio trips on the window's counts summed over members.
func TestBreakerFailureRatio(t *testing.T) {
	p := policy
	p.ConsecutiveFailures = 1000
	p.FailureRatio = 0.5
	var b breakerlease.Breaker
	gen := b.Renew(p, 0, lease, breakerlease.Report{Member: "a"}).Generation
	g := b.Renew(p, 1, lease, breakerlease.Report{Member: "a", Generation: gen, Successes: 5, Failures: 4, Trailing: 1})
	if g.State != breakerlease.Closed {
		t.Fatalf("9 calls (under minimum_calls): %+v, want closed", g)
	}
	g = b.Renew(p, 2, lease, breakerlease.Report{Member: "b", Generation: gen, Successes: 5, Failures: 6, Trailing: 1})
	if g.State != breakerlease.Open {
		t.Fatalf("10 of 20 failed across two members: %+v, want open", g)
	}
	// Counts older than the window no longer count.
	var c breakerlease.Breaker
	gen = c.Renew(p, 0, lease, breakerlease.Report{Member: "a"}).Generation
	c.Renew(p, 0, lease, breakerlease.Report{Member: "a", Generation: gen, Failures: 15, Trailing: 1, Successes: 1})
	g = c.Renew(p, int64(p.Window), lease, breakerlease.Report{Member: "b", Generation: gen, Successes: 4, Failures: 1, Trailing: 1})
	if g.State != breakerlease.Closed {
		t.Fatalf("the failures left the window: %+v, want closed", g)
	}
}

// Half-open, one member at a time holds the probes; its hold ends after a
// lease period without a report; a success closes, a failure opens.
func TestBreakerProbesOneMemberAtATime(t *testing.T) {
	p := policy
	p.ConsecutiveFailures = 1
	var b breakerlease.Breaker
	gen := b.Renew(p, 0, lease, breakerlease.Report{Member: "a"}).Generation
	b.Renew(p, 0, lease, breakerlease.Report{Member: "a", Generation: gen, Failures: 1, Trailing: 1})
	half := int64(p.OpenTimeout)
	ga := b.Renew(p, half, lease, breakerlease.Report{Member: "a"})
	gb := b.Renew(p, half+1, lease, breakerlease.Report{Member: "b"})
	if ga.State != breakerlease.HalfOpen || ga.Probes != 1 || gb.Probes != 0 {
		t.Fatalf("half-open: a %+v, b %+v; want the probe to a only", ga, gb)
	}
	gb = b.Renew(p, half+int64(lease), lease, breakerlease.Report{Member: "b"})
	if gb.Probes != 1 {
		t.Fatalf("a silent for a lease period: b %+v, want the probe", gb)
	}
	// a's late report is not the prober's: ignored.
	if g := b.Renew(p, half+int64(lease)+1, lease, breakerlease.Report{Member: "a", Generation: ga.Generation, Successes: 1}); g.State != breakerlease.HalfOpen {
		t.Fatalf("a former prober's success: %+v, want still half-open", g)
	}
	g := b.Renew(p, half+int64(lease)+2, lease, breakerlease.Report{Member: "b", Generation: gb.Generation, Successes: 1})
	if g.State != breakerlease.Closed {
		t.Fatalf("the prober's success: %+v, want closed", g)
	}
	gen = g.Generation
	b.Renew(p, half+int64(lease)+3, lease, breakerlease.Report{Member: "b", Generation: gen, Failures: 1, Trailing: 1})
	g = b.Renew(p, 2*half+int64(lease)+3, lease, breakerlease.Report{Member: "c"})
	g = b.Renew(p, 2*half+int64(lease)+4, lease, breakerlease.Report{Member: "c", Generation: g.Generation, Failures: 1, Trailing: 1})
	if g.State != breakerlease.Open || g.OpenFor != p.OpenTimeout {
		t.Fatalf("the prober's failure: %+v, want open for %v", g, p.OpenTimeout)
	}
}
