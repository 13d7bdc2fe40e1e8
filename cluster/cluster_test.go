//go:build !race

package cluster_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe/cluster"
	"github.com/troupe-go/troupe/cluster/lease"
	"github.com/troupe-go/troupe/internal/fakeclock"
)

func pools(t *testing.T, nodes []*cluster.Node, p lease.Policy, loss lease.Loss) []*lease.Pool {
	t.Helper()
	out := make([]*lease.Pool, len(nodes))
	for i, n := range nodes {
		pool, err := n.Pool(lease.Config{Name: "rl", Policy: p, OnLoss: loss})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = pool
	}
	return out
}

// Three members enforcing one limit admit about the cluster-wide rate, not
// three times it: each key's bucket lives in one grain, and members spend
// leases of it.
func TestThreeMembersShareOneLimit(t *testing.T) {
	clock := fakeclock.New()
	nodes := startMembers(t, 3, clock.Now)
	p := lease.Policy{Interval: 100 * time.Millisecond, Burst: 30}
	ps := pools(t, nodes, p, lease.FailClosed)
	keys := []string{"a", "b", "c", "d"}
	const steps, perStep = 50, 5
	admitted := map[string]int{}
	for range steps {
		clock.Advance(p.Interval)
		for _, pool := range ps {
			for _, key := range keys {
				for range perStep {
					d := pool.Take(t.Context(), key)
					if d.Lost {
						t.Fatalf("Take(%q) = %+v with every member up", key, d)
					}
					if d.Allowed {
						admitted[key]++
					}
				}
			}
		}
	}
	issued := int(p.Burst) + steps // the burst, and one token per interval
	want := int(ps[0].Want())
	stranded := len(nodes) * (want + want/2 + 1) // what the members' leases can hold at the end
	for _, key := range keys {
		t.Logf("key %s: admitted %d of %d offered; the cluster-wide bucket gave %d", key, admitted[key], steps*len(nodes)*perStep, issued)
		if admitted[key] > issued || admitted[key] < issued-stranded {
			t.Errorf("key %s: admitted %d, want %d to %d (one bucket's worth, not %d members' worth)", key, admitted[key], issued-stranded, issued, len(nodes))
		}
	}
	var calls, seconds float64
	for _, n := range nodes {
		calls += sumCounter(t, n, "troupe_cluster_lease_refills_total")
		seconds += histogramSum(t, n, "troupe_cluster_remote_call_seconds")
	}
	t.Logf("%.0f lease calls for %d requests, %.0f µs each on average (a third on the caller's own member)",
		calls, steps*len(nodes)*perStep*len(keys), seconds/calls*1e6)
}

// A member stopped mid-test: its grains re-activate on the others, and
// requests meanwhile get answers within the call timeout, never hang.
func TestMemberLeavesGrainsMove(t *testing.T) {
	clock := fakeclock.New()
	nodes := startMembers(t, 3, clock.Now)
	p := lease.Policy{Interval: time.Millisecond, Burst: 1000} // plenty: every request should pass
	ps := pools(t, nodes, p, lease.FailClosed)
	keys := make([]string, 12) // enough that each member owns some
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}
	for _, pool := range ps {
		for _, key := range keys {
			if d := pool.Take(t.Context(), key); !d.Allowed {
				t.Fatalf("Take(%q) = %+v before the member left", key, d)
			}
		}
	}
	if a := sumCounter(t, nodes[2], "troupe_cluster_grain_activations_total"); a == 0 {
		t.Fatalf("member 2 owns no grain of %d keys: the test would show nothing", len(keys))
	}
	before := sumCounter(t, nodes[0], "troupe_cluster_grain_activations_total") + sumCounter(t, nodes[1], "troupe_cluster_grain_activations_total")

	// Requests keep coming to the other two while member 2 leaves. Until
	// they know, calls to its grains may fail: each request is still
	// answered within the timeout (250ms by default; the bound allows a
	// loaded machine's scheduling), then on its member's own state.
	const bound = 2 * time.Second
	stop := make(chan struct{})
	var during struct {
		requests, lost int
		slowest        time.Duration
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			clock.Advance(time.Second) // leases expire: every key asks its grain again
			for _, pool := range ps[:2] {
				for _, key := range keys {
					start := time.Now()
					d := pool.Take(t.Context(), key)
					during.slowest = max(during.slowest, time.Since(start))
					during.requests++
					if d.Lost {
						during.lost++
					}
				}
			}
		}
	})
	if err := nodes[2].Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	t.Logf("while member 2 left: %d requests, %d decided without their grain, the slowest in %v", during.requests, during.lost, during.slowest)
	if during.slowest > bound {
		t.Errorf("a request took %v while a member left, want at most %v", during.slowest, bound)
	}
	waitFor(t, func() bool {
		clock.Advance(time.Second) // past the lease TTL and the back-off: every key asks its grain again
		ok := true
		for _, pool := range ps[:2] {
			for _, key := range keys {
				start := time.Now()
				d := pool.Take(t.Context(), key)
				if took := time.Since(start); took > bound {
					t.Fatalf("Take(%q) took %v with a member gone, want at most %v", key, took, bound)
				}
				ok = ok && d.Allowed && !d.Lost
			}
		}
		return ok
	}, "every key's grain to answer from the remaining members")
	after := sumCounter(t, nodes[0], "troupe_cluster_grain_activations_total") + sumCounter(t, nodes[1], "troupe_cluster_grain_activations_total")
	if after <= before {
		t.Errorf("activations on the remaining members: %v before, %v after; want more (the leaver's grains re-activated)", before, after)
	}
	for _, n := range nodes[:2] {
		waitFor(t, func() bool { return n.Members() == 2 }, "the remaining members to see 2")
		if got := gauge(t, n, "troupe_cluster_members"); got != 2 {
			t.Errorf("troupe_cluster_members = %v, want 2", got)
		}
	}
}

// sumCounter adds up every series of the metric name on n's collector.
func sumCounter(t *testing.T, n *cluster.Node, name string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(n)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// histogramSum adds up the sums of every series of the histogram name on
// n's collector.
func histogramSum(t *testing.T, n *cluster.Node, name string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(n)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetHistogram().GetSampleSum()
			}
		}
	}
	return sum
}

func gauge(t *testing.T, n *cluster.Node, name string) float64 {
	t.Helper()
	return sumCounter(t, n, name)
}

// A bucket's grain stops once its bucket is full again and idle, and a
// later request re-activates it, full.
func TestIdleGrainsPassivate(t *testing.T) {
	clock := fakeclock.New()
	inmem := cluster.NewInMem()
	node := startMember(t, cluster.Config{Name: t.Name(), Provider: cluster.InMemory, InMem: inmem, Now: clock.Now, GrainIdle: 100 * time.Millisecond})
	waitFor(t, func() bool { return node.Up() }, "the member to be up")
	p := lease.Policy{Interval: time.Second, Burst: 4}
	pool, err := node.Pool(lease.Config{Name: "rl", Policy: p, OnLoss: lease.FailClosed})
	if err != nil {
		t.Fatal(err)
	}
	if d := pool.Take(t.Context(), "k"); !d.Allowed {
		t.Fatalf("Take = %+v", d)
	}
	if g := gauge(t, node, "troupe_cluster_grains"); g != 1 {
		t.Fatalf("troupe_cluster_grains = %v after a request, want 1", g)
	}
	// Full again once the leases' unspent tokens are back and the spent
	// one has come back with time. The Take may have started a refill in
	// the background (half the lease spent), which a sweep skips while it
	// is in flight and which brings a lease of its own: so each round lets
	// fake time pass (leases expire, tokens come back with time) and
	// sweeps, until the grain, idle on the wall clock, has stopped.
	waitFor(t, func() bool {
		clock.Advance(time.Second)
		pool.Sweep()
		return gauge(t, node, "troupe_cluster_grains") == 0
	}, "the idle grain to stop")
	if d := pool.Take(t.Context(), "k"); !d.Allowed || d.Lost {
		t.Fatalf("Take after the grain stopped = %+v, want allowed from a new activation", d)
	}
	if a := sumCounter(t, node, "troupe_cluster_grain_activations_total"); a != 2 {
		t.Errorf("activations = %v, want 2", a)
	}
}

// A member that cannot listen fails to start with an error, not a panic,
// and leaves nothing running (the package's leak check).
func TestStartFailsOnATakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	node, err := cluster.New(cluster.Config{Name: t.Name(), Provider: cluster.InMemory, InMem: cluster.NewInMem(), Port: port}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = node.Start(nil)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Errorf("Start on a taken port = %v, want an error naming it", err)
	}
	if err := node.Stop(context.Background()); err != nil {
		t.Errorf("Stop after a failed Start = %v", err)
	}
}
