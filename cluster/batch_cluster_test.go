//go:build !race

package cluster_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"github.com/troupe-go/troupe/cluster"
	"go.uber.org/zap"
)

// item is a caller's item: which member it came in on, and its number.
type item struct{ From, N int }

// answer is an item's result: the item, the member whose batch function
// answered it, and the size of its batch.
type answer struct{ From, N, By, Batch int }

// memberBackend is one member's batch function (every member has one, as
// every server configures the same), recording the batches it runs.
type memberBackend struct {
	member int
	cost   time.Duration // a batch's time: the model of a backend call

	mu      sync.Mutex
	batches [][]item
	gate    chan struct{} // if set, batches wait for it, or their context
	entered chan struct{} // if set, told as a batch waits at the gate
}

func (m *memberBackend) fn(ctx context.Context, items []batching.Item[item]) ([]batching.Result[answer], error) {
	m.mu.Lock()
	batch := make([]item, len(items))
	for i, it := range items {
		batch[i] = it.Value
	}
	m.batches = append(m.batches, batch)
	gate, entered := m.gate, m.entered
	m.mu.Unlock()
	if gate != nil {
		select {
		case entered <- struct{}{}:
		default:
		}
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if m.cost > 0 {
		time.Sleep(m.cost) // the backend's own time, not synchronisation
	}
	out := make([]batching.Result[answer], len(items))
	for i, it := range items {
		out[i].Value = answer{From: it.Value.From, N: it.Value.N, By: m.member, Batch: len(items)}
	}
	return out, nil
}

func (m *memberBackend) seen() [][]item {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]item(nil), m.batches...)
}

// startBatcher starts a batcher of scope cluster on node; the test stops
// it at its end, before the node.
func startBatcher(t *testing.T, node *cluster.Node, cfg batching.Config, fn batching.BatchFunc[item, answer]) *batching.Batcher[item, answer] {
	t.Helper()
	cfg.Scope, cfg.Cluster = batching.ScopeCluster, node
	b, err := batching.New(cfg, fn)
	if err != nil {
		t.Fatal(err)
	}
	sys := actors.NewSystem(zap.NewNop())
	if err := b.Start(sys); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = b.Stop(context.Background())
		sys.Shutdown()
	})
	return b
}

// result is what one Submit returned, and when.
type result struct {
	in  item
	out answer
	err error
	at  time.Time
}

// submitAll submits perMember items on each batcher at once, each with its
// own deadline, and returns their results.
func submitAll(bs []*batching.Batcher[item, answer], perMember int, timeout time.Duration) []result {
	ch := make(chan result, len(bs)*perMember)
	for i, b := range bs {
		for n := range perMember {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				in := item{From: i, N: n}
				out, err := b.SubmitKey(ctx, "k", in)
				ch <- result{in, out, err, time.Now()}
			}()
		}
	}
	out := make([]result, 0, cap(ch))
	for range cap(ch) {
		out = append(out, <-ch)
	}
	return out
}

// Items from all three members land in shared batches: a batch of 12
// when no member has more than 4, and each item gets its own answer.
func TestThreeMembersShareBatches(t *testing.T) {
	nodes := startMembers(t, 3, time.Now)
	// Batches go only when full (or after a delay the test does not
	// reach), so a batch of 12 can only be every member's items together.
	// Each member has 2 × MaxInFlight forward slots, enough to send its 4
	// items even one at a time.
	cfg := batching.Config{Name: "score", MaxBatchSize: 12, MaxInFlight: 2, EagerInFlight: -1, DisableFairShare: true, MaxDelay: 20 * time.Second}
	backends := make([]*memberBackend, len(nodes))
	bs := make([]*batching.Batcher[item, answer], len(nodes))
	for i, n := range nodes {
		backends[i] = &memberBackend{member: i}
		bs[i] = startBatcher(t, n, cfg, backends[i].fn)
	}
	results := submitAll(bs, 4, 30*time.Second)
	for _, r := range results {
		if r.err != nil || r.out.From != r.in.From || r.out.N != r.in.N || r.out.Batch != 12 {
			t.Errorf("item %+v: %+v, %v; want its own answer from a batch of 12", r.in, r.out, r.err)
		}
	}
	var ran [][]item
	for i, be := range backends {
		for _, b := range be.seen() {
			t.Logf("member %d ran a batch of %d: %v", i, len(b), b)
			ran = append(ran, b)
		}
	}
	if len(ran) != 1 {
		t.Fatalf("%d batches ran, want one of every member's items", len(ran))
	}
	from := map[int]int{}
	for _, it := range ran[0] {
		from[it.From]++
	}
	if len(from) != 3 {
		t.Errorf("the batch holds items of members %v, want all three", from)
	}
	var forwarded float64
	for _, n := range nodes {
		forwarded += sumCounter(t, n, "troupe_cluster_batch_forwarded_items_total")
	}
	if forwarded != 12 {
		t.Errorf("troupe_cluster_batch_forwarded_items_total adds up to %v, want 12", forwarded)
	}
}

// The member holding a key's grain leaves while items of the other two
// wait on it, its backend stuck: every one of those is answered by its
// deadline, 503 or 504, never left hanging; then the grain re-activates
// on a member that stayed.
func TestBatchOwnerLeaves(t *testing.T) {
	nodes := startMembers(t, 3, time.Now)
	cfg := batching.Config{Name: "score", MaxBatchSize: 8, OnClusterLoss: batching.LossClosed}
	backends := make([]*memberBackend, len(nodes))
	bs := make([]*batching.Batcher[item, answer], len(nodes))
	for i, n := range nodes {
		backends[i] = &memberBackend{member: i}
		bs[i] = startBatcher(t, n, cfg, backends[i].fn)
	}
	first, err := bs[0].SubmitKey(t.Context(), "k", item{})
	if err != nil {
		t.Fatal(err)
	}
	owner := first.By
	be := backends[owner]
	be.mu.Lock()
	be.gate, be.entered = make(chan struct{}), make(chan struct{}, 1)
	be.mu.Unlock()
	var others []*batching.Batcher[item, answer]
	var stayed []*cluster.Node
	for i := range nodes {
		if i != owner {
			others = append(others, bs[i])
			stayed = append(stayed, nodes[i])
		}
	}
	t.Logf("member %d holds the grain", owner)

	const timeout = 3 * time.Second
	done := make(chan []result)
	start := time.Now()
	go func() { done <- submitAll(others, 6, timeout) }()
	<-be.entered // a batch of theirs is stuck in the owner's backend
	left := make(chan struct{})
	go func() {
		_ = bs[owner].Stop(context.Background())
		_ = nodes[owner].Stop(context.Background())
		close(left)
	}()
	results := <-done
	// Answered by the deadline: the bound allows the scheduling of a
	// loaded machine, not another wait.
	const slack = 500 * time.Millisecond
	statuses := map[int]int{}
	for _, r := range results {
		status := http.StatusOK
		if r.err != nil {
			status = actors.ErrorStatus(r.err)
		}
		statuses[status]++
		if took := r.at.Sub(start); took > timeout+slack {
			t.Errorf("item %+v answered after %v, past its deadline (%v)", r.in, took, timeout)
		}
		if status != http.StatusServiceUnavailable && status != http.StatusGatewayTimeout {
			t.Errorf("item %+v: %+v, %v; want 503 or 504 (its batch was stuck on the member that left)", r.in, r.out, r.err)
		}
		if status == http.StatusServiceUnavailable && !errors.Is(r.err, batching.ErrClusterLost) {
			var ae *actors.Error
			if !errors.As(r.err, &ae) || ae.RetryAfter <= 0 {
				t.Errorf("item %+v: 503 without Retry-After: %v", r.in, r.err)
			}
		}
	}
	t.Logf("while the owner left: %v (status: items)", statuses)
	<-left
	for _, n := range stayed {
		waitFor(t, func() bool { return n.Members() == 2 }, "the others to see the owner gone")
	}
	// The grain comes back on a member that stayed (after the back-off of
	// a lost grain, a second).
	waitFor(t, func() bool {
		out, err := others[0].SubmitKey(t.Context(), "k", item{N: 99})
		return err == nil && out.N == 99 && out.By != owner
	}, "the grain to answer from a member that stayed")
}
