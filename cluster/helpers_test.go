//go:build !race

// Tests that start Proto.Actor cluster members build without the race
// detector only: protoactor-go's gossip has data races of its own (the
// gossip actor writes its state while the remote endpoint marshals it;
// Informer.SendState shares a math/rand source; remote.Start sets gRPC's
// global logger while another member's server logs). This package's own
// logic is tested under -race in package lease, with fakes.

package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/troupe-go/troupe/cluster"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
)

// startMembers starts n members of one in-process cluster sharing now, and
// waits until each sees all n.
func startMembers(t *testing.T, n int, now func() time.Time) []*cluster.Node {
	t.Helper()
	inmem := cluster.NewInMem()
	nodes := make([]*cluster.Node, n)
	for i := range nodes {
		nodes[i] = startMember(t, cluster.Config{Name: t.Name(), Provider: cluster.InMemory, InMem: inmem, Now: now})
	}
	for _, node := range nodes {
		waitFor(t, func() bool { return node.Members() == n && node.Up() }, "every member to see %d members", n)
	}
	return nodes
}

// startMember starts one member; the test stops it at its end.
func startMember(t *testing.T, cfg cluster.Config) *cluster.Node {
	t.Helper()
	log := zaptest.NewLogger(t, zaptest.WrapOptions(zap.AddStacktrace(zapcore.FatalLevel)))
	node, err := cluster.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Stop(context.Background()) })
	return node
}

// waitFor waits for cond, which the cluster's own goroutines make true,
// looking every 10ms for at most 30s: members see each other (or that one
// left) on Proto.Actor's timers — the provider's refresh, gossip every
// 300ms — which take a few seconds on a loaded machine.
func waitFor(t *testing.T, cond func() bool, what string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for "+what, args...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
