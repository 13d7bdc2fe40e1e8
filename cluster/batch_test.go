package cluster

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"github.com/troupe-go/troupe/cluster/clusterpb"
	"go.uber.org/zap"
)

// These tests run under -race: the grain's gathering and the member's
// forwarding, with a real batcher and a fake call between them, no
// cluster.

// recorder is a batch function on bytes that answers "r:" + each item,
// and 422 with a Retry-After to "bad", and records its batches.
type recorder struct {
	mu      sync.Mutex
	batches [][]string
}

func (r *recorder) run(_ context.Context, items []batching.Item[[]byte]) ([]batching.Result[[]byte], error) {
	out := make([]batching.Result[[]byte], len(items))
	var batch []string
	for i, it := range items {
		batch = append(batch, string(it.Value))
		if string(it.Value) == "bad" {
			out[i].Err = &actors.Error{Status: http.StatusUnprocessableEntity, Detail: "bad item", RetryAfter: 2 * time.Second}
			continue
		}
		out[i].Value = append([]byte("r:"), it.Value...)
	}
	r.mu.Lock()
	r.batches = append(r.batches, batch)
	r.mu.Unlock()
	return out, nil
}

func (r *recorder) seen() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.batches)
}

// grainBatcher returns a started batcher as a grain's: full batches of
// size only, so that a test decides what goes together.
func grainBatcher(t *testing.T, size int, run batching.BatchFunc[[]byte, []byte]) *batching.Batcher[[]byte, []byte] {
	t.Helper()
	sys := actors.NewSystem(zap.NewNop())
	b, err := batching.New(batching.Config{MaxBatchSize: size, EagerInFlight: -1, DisableFairShare: true, MaxDelay: time.Hour}, run)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(sys); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = b.Stop(context.Background())
		sys.Shutdown()
	})
	return b
}

func forwardOf(key string, timeout time.Duration, payloads ...string) *clusterpb.BatchForward {
	m := &clusterpb.BatchForward{Batcher: "b", Key: key}
	for _, p := range payloads {
		m.Items = append(m.Items, &clusterpb.BatchItem{Payload: []byte(p), TimeoutNs: int64(timeout)})
	}
	return m
}

func replyChan() (chan *clusterpb.BatchAnswer, func(*clusterpb.BatchAnswer)) {
	ch := make(chan *clusterpb.BatchAnswer, 1)
	return ch, func(a *clusterpb.BatchAnswer) { ch <- a }
}

// Two members' forwards fill one batch together, and each member gets
// its own items' answers, in order, errors with their status.
func TestGatherSharesBatchesAndAnswersEachForward(t *testing.T) {
	rec := &recorder{}
	b := grainBatcher(t, 4, rec.run)
	a1, reply1 := replyChan()
	a2, reply2 := replyChan()
	gather(b, forwardOf("k", time.Minute, "a", "bad"), reply1)
	gather(b, forwardOf("k", 0, "c", "d"), reply2)
	got1, got2 := <-a1, <-a2
	if batches := rec.seen(); len(batches) != 1 || len(batches[0]) != 4 {
		t.Errorf("batches %v, want one of the 4 items of both forwards", batches)
	}
	want := func(a *clusterpb.BatchAnswer, payloads ...string) {
		t.Helper()
		if len(a.Results) != len(payloads) {
			t.Fatalf("answer %v, want %d results", a, len(payloads))
		}
		for i, p := range payloads {
			if string(a.Results[i].Payload) != p || (p == "") != (a.Results[i].Status != 0) {
				t.Errorf("result %d = %v, want %q", i, a.Results[i], p)
			}
		}
	}
	want(got1, "r:a", "")
	want(got2, "r:c", "r:d")
	bad := decodeResult(got1.Results[1])
	var ae *actors.Error
	if !errors.As(bad.Err, &ae) || ae.Status != http.StatusUnprocessableEntity || ae.Detail != "bad item" || ae.RetryAfter != 2*time.Second {
		t.Errorf("the bad item's error crossed as %v, want 422 with its detail and Retry-After", bad.Err)
	}
}

// An item whose time runs out while it waits for a batch is answered 504
// and never reaches the batch function.
func TestGatherDropsExpiredItems(t *testing.T) {
	rec := &recorder{}
	b := grainBatcher(t, 8, rec.run) // a batch of 8 never fills here
	a, reply := replyChan()
	gather(b, forwardOf("k", time.Millisecond, "late"), reply)
	got := <-a
	r := decodeResult(got.Results[0])
	if actors.ErrorStatus(r.Err) != http.StatusGatewayTimeout || !errors.Is(r.Err, context.DeadlineExceeded) {
		t.Errorf("expired item answered %v, want 504 matching context.DeadlineExceeded", r.Err)
	}
	if batches := rec.seen(); len(batches) != 0 {
		t.Errorf("the batch function saw %v", batches)
	}
}

// A batcher that refuses items (stopped) answers them at once.
func TestGatherAnswersRefusals(t *testing.T) {
	b := grainBatcher(t, 4, (&recorder{}).run)
	_ = b.Stop(t.Context())
	a, reply := replyChan()
	gather(b, forwardOf("k", 0, "x"), reply)
	if r := decodeResult((<-a).Results[0]); actors.ErrorStatus(r.Err) != http.StatusServiceUnavailable {
		t.Errorf("item to a stopped batcher answered %v, want 503", r.Err)
	}
	gather(b, forwardOf("k", 0), reply)
	if got := <-a; len(got.Results) != 0 {
		t.Errorf("empty forward answered %v", got)
	}
}

// fakeCall is a grain call the test controls.
type fakeCall struct {
	mu      sync.Mutex
	calls   []*clusterpb.BatchForward
	answer  func(*clusterpb.BatchForward) (*clusterpb.BatchAnswer, error)
	release chan struct{} // if set, each call waits for it
	started chan struct{} // if set, gets a value as each call begins
}

func (c *fakeCall) call(_ string, m *clusterpb.BatchForward, _ time.Duration) (*clusterpb.BatchAnswer, error) {
	c.mu.Lock()
	c.calls = append(c.calls, m)
	release, answer := c.release, c.answer
	c.mu.Unlock()
	if c.started != nil {
		c.started <- struct{}{}
	}
	if release != nil {
		<-release
	}
	return answer(m)
}

func (c *fakeCall) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

// echo answers every item with its payload.
func echo(m *clusterpb.BatchForward) (*clusterpb.BatchAnswer, error) {
	a := &clusterpb.BatchAnswer{}
	for _, it := range m.Items {
		a.Results = append(a.Results, &clusterpb.BatchResult{Payload: it.Payload})
	}
	return a, nil
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func testForwarder(t *testing.T, fc *fakeCall) (*forwarder, *batchHost, *fakeClock, map[string]int) {
	t.Helper()
	host := newBatchHost(zap.NewNop())
	t.Cleanup(host.close)
	f := newForwarder("b", host, fc.call)
	clock := &fakeClock{now: time.Now()} // contexts' deadlines are on the wall clock
	f.now = clock.Now
	var mu sync.Mutex
	counts := map[string]int{}
	f.count = func(result string, n int) {
		mu.Lock()
		defer mu.Unlock()
		counts[result] += n
	}
	return f, host, clock, counts
}

func items(ctx context.Context, payloads ...string) []batching.Item[[]byte] {
	var out []batching.Item[[]byte]
	for _, p := range payloads {
		out = append(out, batching.NewItem(ctx, "k", []byte(p)))
	}
	return out
}

// A forward carries each item's time left and the batcher's name and key,
// and answers with the grain's results.
func TestForwardCarriesDeadlinesAndAnswers(t *testing.T) {
	fc := &fakeCall{answer: echo}
	f, _, clock, counts := testForwarder(t, fc)
	ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(300*time.Millisecond))
	defer cancel()
	res, err := f.Forward(ctx, items(ctx, "x", "y"))
	if err != nil || len(res) != 2 || string(res[0].Value) != "x" || string(res[1].Value) != "y" {
		t.Fatalf("Forward = %v, %v", res, err)
	}
	m := fc.calls[0]
	if m.Batcher != "b" || m.Key != "k" || m.Items[0].TimeoutNs != int64(300*time.Millisecond) {
		t.Errorf("sent %v, want batcher b, key k, 300ms left per item", m)
	}
	if counts["ok"] != 2 {
		t.Errorf("counted %v", counts)
	}
}

// A call that fails marks the grain lost for a back-off: meanwhile
// forwards fail with ErrClusterLost at once, without a call.
func TestForwardLostBacksOff(t *testing.T) {
	fc := &fakeCall{answer: func(*clusterpb.BatchForward) (*clusterpb.BatchAnswer, error) { return nil, errors.New("dead letter") }}
	f, _, clock, counts := testForwarder(t, fc)
	ctx := t.Context()
	for range 3 {
		if _, err := f.Forward(ctx, items(ctx, "x")); !errors.Is(err, batching.ErrClusterLost) {
			t.Fatalf("Forward = %v, want ErrClusterLost", err)
		}
	}
	if n := fc.count(); n != 1 {
		t.Errorf("%d calls during the back-off, want 1", n)
	}
	clock.advance(batchLostBackoff)
	fc.mu.Lock()
	fc.answer = echo
	fc.mu.Unlock()
	if res, err := f.Forward(ctx, items(ctx, "x")); err != nil || string(res[0].Value) != "x" {
		t.Errorf("after the back-off: %v, %v; want the grain's answer", res, err)
	}
	if counts["lost"] != 3 || counts["ok"] != 1 {
		t.Errorf("counted %v, want 3 lost and 1 ok", counts)
	}
}

// A grain that answers unavailable (its member has no such batcher, or
// is leaving) counts as lost; a call that runs out of time does not.
func TestForwardUnavailableAndTimeout(t *testing.T) {
	fc := &fakeCall{answer: func(*clusterpb.BatchForward) (*clusterpb.BatchAnswer, error) {
		return nil, context.DeadlineExceeded
	}}
	f, _, _, _ := testForwarder(t, fc)
	ctx := t.Context()
	if _, err := f.Forward(ctx, items(ctx, "x")); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, batching.ErrClusterLost) {
		t.Fatalf("timed-out Forward = %v, want DeadlineExceeded, not lost", err)
	}
	fc.mu.Lock()
	fc.answer = func(*clusterpb.BatchForward) (*clusterpb.BatchAnswer, error) {
		return &clusterpb.BatchAnswer{Unavailable: "the member is leaving the cluster"}, nil
	}
	fc.mu.Unlock()
	if _, err := f.Forward(ctx, items(ctx, "x")); !errors.Is(err, batching.ErrClusterLost) || !strings.Contains(err.Error(), "leaving") {
		t.Fatalf("Forward to a leaving grain = %v, want ErrClusterLost", err)
	}
	if n := fc.count(); n != 2 {
		t.Errorf("%d calls, want 2: a timeout is no reason to back off", n)
	}
}

// A batch whose context ends stops waiting for its call at once; the call
// goes on, owned by the host, whose close waits for it.
func TestForwardEndsWithItsContext(t *testing.T) {
	fc := &fakeCall{answer: echo, release: make(chan struct{}), started: make(chan struct{}, 1)}
	f, host, _, counts := testForwarder(t, fc)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := f.Forward(ctx, items(ctx, "x"))
		errc <- err
	}()
	<-fc.started
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Forward = %v, want its context's error", err)
	}
	closed := make(chan struct{})
	go func() {
		host.close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("the host closed while a call it owns was still running")
	default:
	}
	close(fc.release)
	<-closed
	if counts["expired"] != 1 {
		t.Errorf("counted %v, want 1 expired", counts)
	}
	if _, err := f.Forward(t.Context(), items(t.Context(), "x")); !errors.Is(err, batching.ErrClusterLost) {
		t.Errorf("Forward after close = %v, want ErrClusterLost", err)
	}
}

// Grains get batchers only of the names registered here, and none once
// the member is leaving.
func TestHostBatchers(t *testing.T) {
	host := newBatchHost(zap.NewNop())
	defer host.close()
	if _, err := host.batcher("b"); err == nil || !strings.Contains(err.Error(), `no batcher "b"`) {
		t.Errorf("batcher of an unregistered name: %v", err)
	}
	r := host.register("b", batching.Config{}, (&recorder{}).run)
	b, err := host.batcher("b")
	if err != nil {
		t.Fatal(err)
	}
	host.retire(b)
	host.unregister("b", &batchReg{}) // another registration's: ignored
	if _, err := host.batcher("b"); err != nil {
		t.Errorf("after another's unregister: %v", err)
	}
	host.unregister("b", r)
	if _, err := host.batcher("b"); err == nil {
		t.Error("a batcher after unregister")
	}
	host.register("b", batching.Config{}, (&recorder{}).run)
	host.leave()
	if _, err := host.batcher("b"); err == nil || host.refusing() == "" {
		t.Error("a batcher while leaving")
	}
}

// The grain as an actor, outside a cluster: it answers each forward's
// sender once its items are answered, refuses a batcher not registered
// here, and stops once idle, its batcher with it.
func TestBatchGrainActor(t *testing.T) {
	sys := actor.NewActorSystem()
	defer sys.Shutdown()
	host := newBatchHost(zap.NewNop())
	defer host.close()
	rec := &recorder{}
	host.register("b", batching.Config{MaxBatchSize: 2, EagerInFlight: -1, DisableFairShare: true, MaxDelay: time.Hour}, rec.run)
	stopped := make(chan struct{})
	props := actor.PropsFromProducer(func() actor.Actor {
		return &batchGrain{host: host, idle: 50 * time.Millisecond, m: newMetrics()}
	}, actor.WithReceiverMiddleware(func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			next(c, env)
			if _, ok := env.Message.(*actor.Stopped); ok {
				close(stopped)
			}
		}
	}))
	pid := sys.Root.Spawn(props)
	f1 := sys.Root.RequestFuture(pid, forwardOf("k", time.Minute, "x"), 10*time.Second)
	f2 := sys.Root.RequestFuture(pid, forwardOf("k", time.Minute, "y"), 10*time.Second)
	for i, f := range []*actor.Future{f1, f2} {
		res, err := f.Result()
		a, ok := res.(*clusterpb.BatchAnswer)
		if err != nil || !ok || len(a.Results) != 1 || string(a.Results[0].Payload) != "r:"+[]string{"x", "y"}[i] {
			t.Fatalf("forward %d answered %v, %v", i, res, err)
		}
	}
	if batches := rec.seen(); len(batches) != 1 || len(batches[0]) != 2 {
		t.Errorf("batches %v, want one of both forwards' items", batches)
	}
	<-stopped // idle: it stops by itself
	host.mu.Lock()
	live := len(host.live)
	host.mu.Unlock()
	if live != 0 {
		t.Errorf("%d grain batchers still live after the grain stopped", live)
	}

	other := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return &batchGrain{host: host, idle: time.Minute, m: newMetrics()} }))
	res, err := sys.Root.RequestFuture(other, &clusterpb.BatchForward{Batcher: "nope", Key: "k"}, 10*time.Second).Result()
	if a, ok := res.(*clusterpb.BatchAnswer); err != nil || !ok || !strings.Contains(a.Unavailable, `no batcher "nope"`) {
		t.Errorf("forward of an unregistered batcher answered %v, %v; want unavailable", res, err)
	}
	sys.Root.Stop(other)
}
