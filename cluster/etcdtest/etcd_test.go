//go:build !race

// Package etcdtest tests the cluster's etcd provider against a running
// etcd. It is a package of its own because Proto.Actor's etcd provider
// never closes its etcd client: its connection's goroutines outlive the
// member, and only this package's leak check lets them.
//
// Like the cluster package's member tests, it builds without the race
// detector only (protoactor-go's gossip races).
package etcdtest_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe/cluster"
	"github.com/troupe-go/troupe/cluster/lease"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
)

// TestMain checks for leaked goroutines, but for the etcd client's, which
// Proto.Actor's provider never closes, and Proto.Actor's throttles, which
// end one period after their last event.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("go.etcd.io/etcd/client/v3.(*lessor).deadlineLoop"),
		goleak.IgnoreAnyFunction("go.etcd.io/etcd/client/v3.(*lessor).sendKeepAliveLoop"),
		goleak.IgnoreAnyFunction("go.etcd.io/etcd/client/v3.(*lessor).recvKeepAliveLoop"),
		goleak.IgnoreAnyFunction("go.etcd.io/etcd/client/v3.(*watchGrpcStream).run"),
		goleak.IgnoreAnyFunction("go.etcd.io/etcd/client/v3.(*Client).autoSync"),
		goleak.IgnoreAnyFunction("google.golang.org/grpc.newClientStreamWithParams.func4"),
		goleak.IgnoreAnyFunction("google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"),
		goleak.IgnoreAnyFunction("google.golang.org/grpc/internal/transport.(*http2Client).reader"),
		goleak.IgnoreAnyFunction("google.golang.org/grpc/internal/transport.(*controlBuffer).get"),
		goleak.IgnoreAnyFunction("google.golang.org/grpc/internal/transport.(*recvBufferReader).readClient"),
		goleak.IgnoreAnyFunction("google.golang.org/grpc/internal/transport.newHTTP2Client.func6"),
		goleak.IgnoreAnyFunction("google.golang.org/grpc.(*addrConn).resetTransport"),
		goleak.IgnoreAnyFunction("google.golang.org/grpc.(*ccBalancerWrapper).watcher"),
		goleak.IgnoreAnyFunction("google.golang.org/grpc.(*ccResolverWrapper).watcher"),
		goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/actor.NewDeadLetter.NewThrottle.func4.1"),
		// Proto.Actor's etcd keep-alive loop sleeps a second between
		// rounds and sees Shutdown only when it wakes; nothing waits for it.
		goleak.IgnoreAnyFunction("github.com/asynkron/protoactor-go/cluster/clusterproviders/etcd.(*Provider).startKeepAlive.func1"),
		goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/cluster.(*Gossiper).StartGossiping.NewThrottle.func3.1"),
		goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/cluster.NewGossipActor.NewThrottleWithLogger.func2.1"),
	)
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

// waitFor waits for cond, looking every 10ms for at most 30s: members see
// each other on Proto.Actor's timers and etcd's watch.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// etcdEndpoints returns the etcd to test against, from ETCD_ENDPOINTS
// (comma-separated host:port). Without one the test is skipped, except in
// CI (CI=true), where .ci/run starts an etcd and skipping would hide that
// it did not.
func etcdEndpoints(t *testing.T) []string {
	t.Helper()
	v := os.Getenv("ETCD_ENDPOINTS")
	if v == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but ETCD_ENDPOINTS is unset: .ci/run starts an etcd and exports it")
		}
		t.Skip("ETCD_ENDPOINTS unset: no etcd to test against (.ci/run starts one)")
	}
	return strings.Split(v, ",")
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Two members find each other through etcd, and share a bucket.
func TestEtcdProvider(t *testing.T) {
	endpoints := etcdEndpoints(t)
	prefix := fmt.Sprintf("/troupe-test/%d", time.Now().UnixNano()) // members of earlier runs are not ours
	nodes := make([]*cluster.Node, 2)
	for i := range nodes {
		nodes[i] = startMember(t, cluster.Config{Name: "etcd-test", Provider: cluster.Etcd, Endpoints: endpoints, Prefix: prefix, Port: freePort(t)})
	}
	for _, n := range nodes {
		waitFor(t, func() bool { return n.Members() == 2 && n.Up() }, "both members to see 2 through etcd")
	}
	p := lease.Policy{Interval: time.Hour, Burst: 4}
	admitted := 0
	for _, n := range nodes {
		pool, err := n.Pool(lease.Config{Name: "rl", Policy: p, OnLoss: lease.FailClosed})
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			d := pool.Take(t.Context(), "k")
			if d.Lost {
				t.Fatalf("Take = %+v: the grain was not reached", d)
			}
			if d.Allowed {
				admitted++
			}
		}
	}
	if admitted != int(p.Burst) {
		t.Errorf("two members admitted %d from one bucket of %d, want %d", admitted, p.Burst, p.Burst)
	}
}
