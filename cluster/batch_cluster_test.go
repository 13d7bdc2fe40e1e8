//go:build !race

package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
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
	costOf func(items int) time.Duration // a batch's time: the model of a backend call; nil for none

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
	if m.costOf != nil {
		time.Sleep(m.costOf(len(items))) // the backend's own time, not synchronisation
	}
	out := make([]batching.Result[answer], len(items))
	for i, it := range items {
		out[i].Value = answer{From: it.Value.From, N: it.Value.N, By: m.member, Batch: len(items)}
	}
	return out, nil
}

// reset forgets the batches run so far.
func (m *memberBackend) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batches = nil
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
	var sized float64
	for _, n := range nodes {
		sized += histogramSum(t, n, "troupe_cluster_batch_size")
	}
	if sized != 12 {
		t.Errorf("troupe_cluster_batch_size sums to %v, want one batch of 12", sized)
	}
}

// The member holding a key's grain leaves while items of the other two
// wait on it, its backend stuck: every one of those is answered by its
// deadline — 504 for those stuck, 503 or an answer from the grain's new
// member for the others — never left hanging; then the grain answers from
// a member that stayed.
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
	stuck := map[item]bool{} // the items in the owner's backend as it left
	for _, b := range be.seen()[1:] {
		for _, it := range b {
			stuck[it] = true
		}
	}
	// Answered by the deadline: the bound allows the scheduling of a
	// loaded machine, not another wait. The stuck items get 504; the
	// others 503 (refused by the leaving grain, or its member's batcher
	// stopping) or, once the grain has moved, their answer from the
	// member that took it over.
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
		switch {
		case stuck[r.in] && status != http.StatusGatewayTimeout:
			t.Errorf("item %+v, stuck in the backend of the member that left: %+v, %v; want 504", r.in, r.out, r.err)
		case status == http.StatusOK && (r.out.By == owner || r.out != answer{From: r.in.From, N: r.in.N, By: r.out.By, Batch: r.out.Batch}):
			t.Errorf("item %+v: %+v; want its own answer from a member that stayed", r.in, r.out)
		case status != http.StatusOK && status != http.StatusServiceUnavailable && status != http.StatusGatewayTimeout:
			t.Errorf("item %+v: %v; want 503 or 504", r.in, r.err)
		}
		if status == http.StatusServiceUnavailable {
			var ae *actors.Error
			if !errors.As(r.err, &ae) || ae.RetryAfter <= 0 {
				t.Errorf("item %+v: 503 without Retry-After: %v", r.in, r.err)
			}
		}
	}
	t.Logf("while the owner left: %v (status: items), %d stuck in its backend", statuses, len(stuck))
	if len(stuck) == 0 {
		t.Error("no item was stuck in the backend of the member that left: the test showed nothing")
	}
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

// TestBatchFigures measures what scope cluster does to batches: the mean
// batch size with one member and with three at the same load per member
// (closed-loop callers, a backend of 1ms + 10µs per item, 4 batches at
// once), and what forwarding adds to one item's latency at light load. It
// runs only with TROUPE_CLUSTER_BATCH_FIGURES=1: its figures are for
// docs/ARCHITECTURE.md, and it asserts nothing.
func TestBatchFigures(t *testing.T) {
	if os.Getenv("TROUPE_CLUSTER_BATCH_FIGURES") == "" {
		t.Skip("set TROUPE_CLUSTER_BATCH_FIGURES=1 to measure")
	}
	const callers, period = 32, 3 * time.Second
	cfg := batching.Config{Name: "score", MaxBatchSize: 64, MaxInFlight: 4}
	cost := func(n int) time.Duration { return time.Millisecond + time.Duration(n)*10*time.Microsecond }
	for _, members := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d members", members), func(t *testing.T) {
			nodes := startMembers(t, members, time.Now)
			backends := make([]*memberBackend, members)
			bs := make([]*batching.Batcher[item, answer], members)
			for i, n := range nodes {
				backends[i] = &memberBackend{member: i, costOf: cost}
				bs[i] = startBatcher(t, n, cfg, backends[i].fn)
			}
			// Light load: one caller, one item at a time, from each member
			// in turn (the grain is on one of them).
			var light []time.Duration
			for i := range 300 {
				b := bs[i%members]
				begin := time.Now()
				if _, err := b.SubmitKey(t.Context(), "k", item{}); err != nil {
					t.Fatal(err)
				}
				light = append(light, time.Since(begin))
			}
			for _, be := range backends {
				be.reset()
			}
			items, lat := closedLoop(t, bs, callers, period)
			var batches, inBatches int
			for _, be := range backends {
				for _, b := range be.seen() {
					batches++
					inBatches += len(b)
				}
			}
			t.Logf("%d members, %d callers each: %.0f items/s, mean batch %.1f items (%d batches), latency p50 %v p99 %v; one caller alone: p50 %v",
				members, callers, float64(items)/period.Seconds(), float64(inBatches)/float64(batches), batches,
				percentile(lat, 50), percentile(lat, 99), percentile(light, 50))
		})
	}
	t.Run("local scope, 1 server", func(t *testing.T) {
		be := &memberBackend{costOf: cost}
		b, err := batching.New(cfg, be.fn)
		if err != nil {
			t.Fatal(err)
		}
		sys := actors.NewSystem(zap.NewNop())
		if err := b.Start(sys); err != nil {
			t.Fatal(err)
		}
		defer sys.Shutdown()
		defer func() { _ = b.Stop(context.Background()) }()
		var light []time.Duration
		for range 300 {
			begin := time.Now()
			if _, err := b.SubmitKey(t.Context(), "k", item{}); err != nil {
				t.Fatal(err)
			}
			light = append(light, time.Since(begin))
		}
		be.reset()
		items, lat := closedLoop(t, []*batching.Batcher[item, answer]{b}, callers, period)
		var batches, inBatches int
		for _, b := range be.seen() {
			batches++
			inBatches += len(b)
		}
		t.Logf("local scope, %d callers: %.0f items/s, mean batch %.1f items, latency p50 %v p99 %v; one caller alone: p50 %v",
			callers, float64(items)/period.Seconds(), float64(inBatches)/float64(batches), percentile(lat, 50), percentile(lat, 99), percentile(light, 50))
	})
}

// closedLoop runs callers goroutines per batcher, each submitting one item
// after another for period, and returns how many were answered and their
// latencies.
func closedLoop(t *testing.T, bs []*batching.Batcher[item, answer], callers int, period time.Duration) (int, []time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), period)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	for i, b := range bs {
		for range callers {
			wg.Go(func() {
				var mine []time.Duration
				for ctx.Err() == nil {
					begin := time.Now()
					if _, err := b.SubmitKey(ctx, "k", item{From: i}); err == nil {
						mine = append(mine, time.Since(begin))
					}
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	return len(lat), lat
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)].Round(10 * time.Microsecond)
}
