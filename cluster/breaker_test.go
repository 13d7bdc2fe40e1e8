//go:build !race

package cluster_test

import (
	"testing"
	"time"

	"github.com/troupe-go/troupe/cluster"
	"github.com/troupe-go/troupe/cluster/breakerlease"
	"github.com/troupe-go/troupe/internal/fakeclock"
)

func breakers(t *testing.T, nodes []*cluster.Node, p breakerlease.Policy) []*breakerlease.Member {
	t.Helper()
	out := make([]*breakerlease.Member, len(nodes))
	for i, n := range nodes {
		b, err := n.Breaker(breakerlease.Config{Name: "catalogue", Policy: p})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// Three members calling one failing upstream trip its cluster-wide
// breaker after its consecutive_failures summed over the members (plus at
// most each member's share of them, spent before it heard), not three
// times that; every member then refuses. Once the upstream is back, one
// member probes, and every member admits again within a lease period.
// When one member alone trips it again, the others refuse within a lease
// period without having seen a failure.
func TestThreeMembersShareOneBreaker(t *testing.T) {
	clock := fakeclock.New()
	nodes := startMembers(t, 3, clock.Now)
	p := breakerlease.Policy{ConsecutiveFailures: 9, MinimumCalls: 20, Window: 10 * time.Second, Buckets: 10,
		OpenTimeout: 30 * time.Second, HalfOpenRequests: 1}
	ms := breakers(t, nodes, p)
	leasePeriod := nodes[0].Config().LeaseTTL

	// The upstream fails every call. The members call it in turn until
	// each has refused one.
	failed := 0
	var refused [3]bool
	for i := 0; !(refused[0] && refused[1] && refused[2]); i++ {
		if i > 1000 {
			t.Fatalf("after %d calls (%d failed), refused: %v; want every member to refuse", i, failed, refused)
		}
		m := ms[i%3]
		d := m.Admit(t.Context())
		switch {
		case d.Lost:
			t.Fatalf("call %d: %+v with every member up", i, d)
		case d.Allowed:
			if refused[i%3] {
				t.Fatalf("member %d admitted a call after refusing one: %+v", i%3, d)
			}
			failed++
			m.Done(d.Ticket, breakerlease.Failure)
		default:
			refused[i%3] = true
			if d.State != breakerlease.Open || d.RetryAfter <= 0 || d.RetryAfter > p.OpenTimeout {
				t.Fatalf("member %d refused: %+v, want open with Retry-After ≤ %v", i%3, d, p.OpenTimeout)
			}
		}
	}
	share := (int(p.ConsecutiveFailures) + 2) / 3
	t.Logf("%d calls failed before all three members refused: consecutive_failures %d, each member's share %d", failed, p.ConsecutiveFailures, share)
	if failed < int(p.ConsecutiveFailures) || failed > int(p.ConsecutiveFailures)+3*share {
		t.Errorf("%d calls failed, want %d to %d (one breaker's worth, not 3 × %d)", failed, p.ConsecutiveFailures, int(p.ConsecutiveFailures)+3*share, p.ConsecutiveFailures)
	}
	var transitions float64
	for _, n := range nodes {
		transitions += sumCounter(t, n, "troupe_cluster_breaker_transitions_total")
	}
	if transitions != 1 {
		t.Errorf("troupe_cluster_breaker_transitions_total = %v over the members, want 1 (one grain, one trip)", transitions)
	}

	// The upstream is back. Past the open timeout, the first member to
	// ask gets the probe; the others refuse, half-open, until their lease
	// ends.
	clock.Advance(p.OpenTimeout)
	probe := ms[1].Admit(t.Context())
	if !probe.Allowed || probe.State != breakerlease.HalfOpen {
		t.Fatalf("member 1 past the open timeout: %+v, want the probe", probe)
	}
	for _, i := range []int{0, 2} {
		if d := ms[i].Admit(t.Context()); d.Allowed || d.State != breakerlease.HalfOpen || d.RetryAfter > leasePeriod {
			t.Fatalf("member %d while member 1 probes: %+v, want refused, half-open, Retry-After ≤ %v", i, d, leasePeriod)
		}
	}
	ms[1].Done(probe.Ticket, breakerlease.Success) // reported at once: the grain closes
	if d := ms[1].Admit(t.Context()); !d.Allowed || d.State != breakerlease.Closed {
		t.Fatalf("the prober after its probe's success: %+v, want admitted, closed (it waits for the grain's verdict)", d)
	} else {
		ms[1].Done(d.Ticket, breakerlease.Success)
	}
	// Within one lease period, every member admits again.
	clock.Advance(leasePeriod)
	for i, m := range ms {
		d := m.Admit(t.Context())
		if !d.Allowed || d.State != breakerlease.Closed {
			t.Errorf("member %d a lease period (%v) after the close: %+v, want admitted", i, leasePeriod, d)
			continue
		}
		m.Done(d.Ticket, breakerlease.Success)
	}
	// The upstream fails again, and only member 1 calls it: it trips the
	// breaker alone, after consecutive_failures. Members 0 and 2 hold
	// closed leases from above and hear nothing until they ask: within
	// one lease period, they refuse too.
	alone := 0
	for {
		d := ms[1].Admit(t.Context())
		if !d.Allowed {
			break
		}
		if alone++; alone > 100 {
			t.Fatal("member 1 alone: 100 failures and the breaker still admits")
		}
		ms[1].Done(d.Ticket, breakerlease.Failure)
	}
	if alone != int(p.ConsecutiveFailures) {
		t.Errorf("member 1 alone tripped the breaker after %d failures, want %d", alone, p.ConsecutiveFailures)
	}
	clock.Advance(leasePeriod)
	for _, i := range []int{0, 2} {
		if d := ms[i].Admit(t.Context()); d.Allowed || d.State != breakerlease.Open {
			t.Errorf("member %d a lease period (%v) after member 1 tripped the breaker: %+v, want refused, open", i, leasePeriod, d)
		}
	}

	var renewals, seconds float64
	for _, n := range nodes {
		renewals += sumCounter(t, n, "troupe_cluster_breaker_renewals_total")
		seconds += histogramSum(t, n, "troupe_cluster_remote_call_seconds")
	}
	t.Logf("%.0f renewals, %.0f µs a grain call on average", renewals, seconds/renewals*1e6)
}
