package batching_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"go.uber.org/zap"
	"pgregory.net/rapid"
)

// TestBatcherProperties runs the whole batcher — its actor in a real
// actor system, its timer, its batch goroutines — inside a synctest
// bubble, where time moves only when every goroutine waits. rapid picks
// the settings and a sequence of actions (submit, cancel, let time pass,
// finish a batch in some way, stop), and after each one, once everything
// has settled, checks that:
//   - every Submit that returned got what its batch (or its context, or
//     the queue bound) says it should, and no other;
//   - no batch is larger than MaxBatchSize or mixes keys, and none holds
//     an item whose caller had gone or whose deadline had passed;
//   - no item waits MaxDelay or longer while a slot of its key is free,
//     nor while fewer than EagerInFlight batches run, nor while its key's
//     fair share of a batch (or a full one) is waiting;
//   - after Stop, every Submit has returned, and no goroutine is left.
func TestBatcherProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		rapid.SyncTest(rt, func(rt *rapid.T) {
			m := newBatcherModel(rt)
			rt.Repeat(map[string]func(*rapid.T){
				"submit":  m.submit,
				"cancel":  m.cancel,
				"advance": m.advance,
				"finish":  m.finish,
				"stop":    m.stop,
				"":        m.check,
			})
			m.drain(rt)
		})
	})
}

// finishing is how a test finishes one batch.
type finishing int

const (
	finishOK        finishing = iota // every item gets value × 2
	finishItemError                  // odd values fail on their own
	finishError                      // the whole batch fails
	finishPanic                      // the batch function panics
	finishMiscount                   // it returns one result too many
)

var errBackend = errors.New("backend failed")

// pItem is one Submit the model follows.
type pItem struct {
	v         int
	key       string
	ctx       context.Context
	cancel    context.CancelFunc
	deadline  time.Time
	at        time.Time
	wantErr   error     // a rejection the model expects, or nil
	out       chan pOut // size one: the Submit goroutine never waits
	got       *pOut
	call      *pCall
	ctxEnded  bool
	finishing finishing
}

type pOut struct {
	v   int
	err error
	at  time.Time
}

// pCall is one batch function call, waiting for the test.
type pCall struct {
	ctx      context.Context
	key      string
	items    []*pItem
	release  chan finishing // size one: the test never waits
	released bool
}

type batcherModel struct {
	t        *rapid.T
	cfg      batching.Config
	sys      *actors.System
	b        *batching.Batcher[int, int]
	reg      *prometheus.Registry
	mu       sync.Mutex // guards calls and problems, written by batch goroutines
	calls    []*pCall
	problems []string
	items    []*pItem
	byValue  map[int]*pItem
	stopping bool
	stopped  chan error // size one
	released bool       // a batch has been let finish: the batcher has timed one
}

func newBatcherModel(t *rapid.T) *batcherModel {
	maxInFlight := rapid.IntRange(1, 3).Draw(t, "max_in_flight")
	cfg := batching.Config{
		MaxBatchSize:      rapid.IntRange(1, 4).Draw(t, "max_batch_size"),
		MaxDelay:          time.Duration(rapid.IntRange(1, 3).Draw(t, "max_delay_ms")) * time.Millisecond,
		MaxInFlight:       maxInFlight,
		MaxInFlightPerKey: rapid.IntRange(0, maxInFlight).Draw(t, "max_in_flight_per_key"),
		EagerInFlight:     rapid.IntRange(-1, maxInFlight).Draw(t, "eager_in_flight"),
		MaxQueue:          rapid.IntRange(1, 8).Draw(t, "max_queue"),
		MaxQueuePerKey:    rapid.IntRange(0, 6).Draw(t, "max_queue_per_key"),
		EstimatedDuration: time.Duration(rapid.IntRange(0, 2).Draw(t, "estimated_ms")) * time.Millisecond,
		PreserveOrder:     rapid.Bool().Draw(t, "preserve_order"),
		DisableFairShare:  rapid.Bool().Draw(t, "disable_fair_share"),
		// The queue's time bound depends on the batches' measured time,
		// which the model does not follow; TestCoreQueueDelay tests it.
		MaxQueueDelay: -1,
	}
	m := &batcherModel{t: t, cfg: cfg, byValue: map[int]*pItem{}, stopped: make(chan error, 1)}
	m.sys = actors.NewSystem(zap.NewNop())
	b, err := batching.New(cfg, m.fn)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(m.sys); err != nil {
		t.Fatal(err)
	}
	m.b = b
	m.reg = prometheus.NewRegistry()
	m.reg.MustRegister(b)
	t.Cleanup(m.cleanup)
	// What New filled in, for the checks.
	if m.cfg.MaxInFlightPerKey == 0 {
		m.cfg.MaxInFlightPerKey = maxInFlight
	}
	if m.cfg.MaxQueuePerKey == 0 || m.cfg.MaxQueuePerKey > m.cfg.MaxQueue {
		m.cfg.MaxQueuePerKey = m.cfg.MaxQueue
	}
	switch {
	case m.cfg.EagerInFlight == 0:
		m.cfg.EagerInFlight = 1
	case m.cfg.EagerInFlight < 0:
		m.cfg.EagerInFlight = 0
	}
	return m
}

// fn is the batch function: it checks what it is given, then waits for
// the test to say how the call ends.
func (m *batcherModel) fn(ctx context.Context, items []batching.Item[int]) ([]batching.Result[int], error) {
	c := &pCall{ctx: ctx, key: items[0].Key, release: make(chan finishing, 1)}
	m.mu.Lock()
	if len(items) > m.cfg.MaxBatchSize {
		m.problems = append(m.problems, fmt.Sprintf("batch of %d, max %d", len(items), m.cfg.MaxBatchSize))
	}
	now := time.Now()
	for _, it := range items {
		pi := m.byValue[it.Value]
		switch {
		case it.Key != c.key:
			m.problems = append(m.problems, fmt.Sprintf("batch of key %q holds item %d of key %q", c.key, it.Value, it.Key))
		case it.Context().Err() != nil:
			m.problems = append(m.problems, fmt.Sprintf("item %d sent though its caller had gone: %v", it.Value, it.Context().Err()))
		case !pi.deadline.IsZero() && pi.deadline.Sub(now) < max(m.cfg.EstimatedDuration, 1):
			m.problems = append(m.problems, fmt.Sprintf("item %d sent with %v left", it.Value, pi.deadline.Sub(now)))
		}
		c.items = append(c.items, pi)
		pi.call = c
	}
	m.calls = append(m.calls, c)
	m.mu.Unlock()

	f := <-c.release
	rs := make([]batching.Result[int], len(items))
	for i, it := range items {
		switch {
		case f == finishItemError && it.Value%2 == 1:
			rs[i].Err = fmt.Errorf("item %d: %w", it.Value, errBackend)
		default:
			rs[i].Value = it.Value * 2
		}
	}
	switch f {
	case finishError:
		return nil, errBackend
	case finishPanic:
		panic("backend panicked")
	case finishMiscount:
		return append(rs, batching.Result[int]{}), nil
	}
	return rs, nil
}

func (m *batcherModel) submit(t *rapid.T) {
	if len(m.items) > 40 {
		t.Skip("enough items")
	}
	it := &pItem{v: len(m.items), key: rapid.SampledFrom([]string{"a", "b"}).Draw(t, "key"), at: time.Now(), out: make(chan pOut, 1)}
	if d := rapid.IntRange(0, 6).Draw(t, "deadline_ms"); d > 0 {
		it.deadline = time.Now().Add(time.Duration(d) * time.Millisecond)
		it.ctx, it.cancel = context.WithDeadline(context.Background(), it.deadline)
	} else {
		it.ctx, it.cancel = context.WithCancel(context.Background())
	}
	switch {
	case m.stopping:
		it.wantErr = batching.ErrStopped
	case m.queued("") >= m.cfg.MaxQueue:
		it.wantErr = batching.ErrQueueFull
	case m.queued(it.key) >= m.cfg.MaxQueuePerKey:
		it.wantErr = batching.ErrKeyQueueFull
	}
	m.mu.Lock()
	m.items = append(m.items, it)
	m.byValue[it.v] = it
	m.mu.Unlock()
	if rapid.Bool().Draw(t, "callback") {
		m.submitFunc(it)
	} else {
		go func() {
			v, err := m.b.SubmitKey(it.ctx, it.key, it.v)
			it.out <- pOut{v: v, err: err, at: time.Now()}
		}()
	}
	synctest.Wait()
}

// submitFunc submits it with SubmitFunc, whose callback delivers the
// outcome as SubmitKey's goroutine does; a second call is a problem.
func (m *batcherModel) submitFunc(it *pItem) {
	var calls atomic.Int32
	err := m.b.SubmitFunc(it.ctx, it.key, it.v, func(r batching.Result[int]) {
		if calls.Add(1) > 1 {
			m.mu.Lock()
			m.problems = append(m.problems, fmt.Sprintf("item %d: SubmitFunc's callback called twice", it.v))
			m.mu.Unlock()
			return
		}
		it.out <- pOut{v: r.Value, err: r.Err, at: time.Now()}
	})
	if err != nil {
		it.out <- pOut{err: err, at: time.Now()}
	}
}

func (m *batcherModel) cancel(t *rapid.T) {
	var live []*pItem
	for _, it := range m.items {
		if !it.ctxEnded && m.returned(it) == nil {
			live = append(live, it)
		}
	}
	if len(live) == 0 {
		t.Skip("no live item")
	}
	it := rapid.SampledFrom(live).Draw(t, "item")
	it.cancel()
	synctest.Wait()
}

func (m *batcherModel) advance(t *rapid.T) {
	time.Sleep(rapid.SampledFrom([]time.Duration{time.Microsecond, 500 * time.Microsecond, time.Millisecond, 3 * time.Millisecond}).Draw(t, "d"))
	synctest.Wait()
}

func (m *batcherModel) finish(t *rapid.T) {
	var open []*pCall
	m.mu.Lock()
	for _, c := range m.calls {
		if !c.released {
			open = append(open, c)
		}
	}
	m.mu.Unlock()
	if len(open) == 0 {
		t.Skip("nothing in flight")
	}
	c := rapid.SampledFrom(open).Draw(t, "call")
	f := finishing(rapid.IntRange(int(finishOK), int(finishMiscount)).Draw(t, "finishing"))
	m.release(c, f)
	synctest.Wait()
}

func (m *batcherModel) release(c *pCall, f finishing) {
	m.mu.Lock()
	c.released = true
	m.released = true
	for _, it := range c.items {
		it.finishing = f
	}
	m.mu.Unlock()
	c.release <- f
}

func (m *batcherModel) stop(t *rapid.T) {
	if m.stopping {
		t.Skip("stopping already")
	}
	m.stopping = true
	go func() { m.stopped <- m.b.Stop(context.Background()) }()
	synctest.Wait()
}

// returned collects the outcome of it's Submit, if it has returned.
func (m *batcherModel) returned(it *pItem) *pOut {
	if it.got == nil {
		select {
		case o := <-it.out:
			it.got = &o
		default:
		}
	}
	return it.got
}

// queued counts the items of key ("" for all) waiting in the batcher: not
// returned and in no batch.
func (m *batcherModel) queued(key string) int {
	n := 0
	for _, it := range m.items {
		if it.wantErr == nil && m.returned(it) == nil && m.callOf(it) == nil && (key == "" || it.key == key) {
			n++
		}
	}
	return n
}

func (m *batcherModel) callOf(it *pItem) *pCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	return it.call
}

// inFlightItems counts the items of key in calls not yet released.
func (m *batcherModel) inFlightItems(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.calls {
		if !c.released && c.key == key {
			n += len(c.items)
		}
	}
	return n
}

// inFlight counts the calls of key ("" for all) not yet released.
func (m *batcherModel) inFlight(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.calls {
		if !c.released && (key == "" || c.key == key) {
			n++
		}
	}
	return n
}

func (m *batcherModel) check(t *rapid.T) {
	m.mu.Lock()
	problems := m.problems
	m.mu.Unlock()
	if len(problems) > 0 {
		t.Fatal(problems[0])
	}
	now := time.Now()
	for _, it := range m.items {
		if it.ctx.Err() != nil {
			it.ctxEnded = true
		}
	}
	m.checkCalls(t)
	if got, want := metric(t, m.reg, "troupe_batch_queue_items", ""), float64(m.queued("")); got != want {
		t.Fatalf("troupe_batch_queue_items = %v, the model counts %v waiting", got, want)
	}
	for _, it := range m.items {
		if o := m.returned(it); o != nil {
			m.checkOutcome(t, it, o)
			continue
		}
		if it.wantErr != nil {
			t.Fatalf("item %d: Submit still waits, want %v at once", it.v, it.wantErr)
		}
		if it.ctxEnded {
			t.Fatalf("item %d: Submit still waits though its context ended", it.v)
		}
		if m.callOf(it) != nil {
			continue // in a batch: answered when it finishes
		}
		if m.inFlight("") >= m.cfg.MaxInFlight || m.inFlight(it.key) >= m.cfg.MaxInFlightPerKey {
			continue
		}
		switch waited, n := now.Sub(it.at), m.queued(it.key); {
		case n >= m.cfg.MaxBatchSize:
			t.Fatalf("key %q has a full batch waiting with a slot free", it.key)
		case !m.cfg.DisableFairShare && n*m.cfg.MaxInFlightPerKey >= n+m.inFlightItems(it.key):
			t.Fatalf("key %q has its fair share waiting with a slot free: %d waiting, %d in flight", it.key, n, m.inFlightItems(it.key))
		case m.stopping:
			t.Fatalf("item %d waits while stopping with a slot free", it.v)
		case waited >= m.cfg.MaxDelay:
			t.Fatalf("item %d has waited %v (max delay %v) with a slot free", it.v, waited, m.cfg.MaxDelay)
		case m.inFlight("") < m.cfg.EagerInFlight:
			t.Fatalf("item %d waits with %d in flight, below eager_in_flight %d", it.v, m.inFlight(""), m.cfg.EagerInFlight)
		}
	}
}

// checkCalls checks that the context of each batch in flight has ended
// exactly if every caller in it has gone.
func (m *batcherModel) checkCalls(t *rapid.T) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.calls {
		if c.released {
			continue
		}
		gone := true
		for _, it := range c.items {
			gone = gone && it.ctxEnded
		}
		if ended := c.ctx.Err() != nil; ended != gone {
			t.Fatalf("batch of %d items: context ended %v, every caller gone %v", len(c.items), ended, gone)
		}
	}
}

// checkOutcome checks that a Submit returned what the model says.
func (m *batcherModel) checkOutcome(t *rapid.T, it *pItem, o *pOut) {
	c := m.callOf(it)
	var released bool
	if c != nil {
		m.mu.Lock()
		released = c.released
		m.mu.Unlock()
	}
	switch {
	case it.wantErr != nil:
		if !errors.Is(o.err, it.wantErr) {
			t.Fatalf("item %d: Submit = %v, want %v", it.v, o.err, it.wantErr)
		}
	case it.ctxEnded && errors.Is(o.err, it.ctx.Err()):
		// its caller went, or its deadline passed, first
	case errors.Is(o.err, batching.ErrTooLate):
		// Without EstimatedDuration, the batcher's estimate is the time of
		// the batches that finished, which the model does not follow: any
		// deadline may be too near once one has.
		m.mu.Lock()
		measured := m.cfg.EstimatedDuration == 0 && m.released
		m.mu.Unlock()
		if c != nil || it.deadline.IsZero() || (!measured && it.deadline.Sub(o.at) >= m.cfg.EstimatedDuration) {
			t.Fatalf("item %d: ErrTooLate with %v left, estimate %v", it.v, it.deadline.Sub(o.at), m.cfg.EstimatedDuration)
		}
	case c == nil || !released:
		t.Fatalf("item %d: Submit = %+v before its batch finished", it.v, o)
	default:
		m.checkFinished(t, it, o)
	}
}

// checkFinished checks the outcome of an item whose batch finished.
func (m *batcherModel) checkFinished(t *rapid.T, it *pItem, o *pOut) {
	var ok bool
	switch it.finishing {
	case finishOK:
		ok = o.err == nil && o.v == 2*it.v
	case finishItemError:
		ok = it.v%2 == 1 && errors.Is(o.err, errBackend) || it.v%2 == 0 && o.err == nil && o.v == 2*it.v
	case finishError:
		ok = errors.Is(o.err, errBackend)
	case finishPanic:
		_, ok = errors.AsType[*batching.PanicError](o.err)
	case finishMiscount:
		ok = errors.Is(o.err, batching.ErrResultCount)
	}
	if !ok {
		t.Fatalf("item %d: Submit = %+v after finishing %d", it.v, o, it.finishing)
	}
}

// drain stops the batcher, finishing every batch as it comes, and checks
// that every Submit returned and everything shut down.
func (m *batcherModel) drain(t *rapid.T) {
	if !m.stopping {
		m.stop(t)
	}
	m.finishAll()
	if err := <-m.stopped; err != nil {
		t.Fatalf("Stop = %v", err)
	}
	m.stopped <- nil // for cleanup
	m.check(t)
	for _, it := range m.items {
		if m.returned(it) == nil {
			t.Fatalf("item %d: Submit never returned", it.v)
		}
	}
}

// cleanup ends whatever a failed run left behind, so that the bubble can
// end and the failure be reported: every caller leaves, every batch
// finishes, the batcher stops.
func (m *batcherModel) cleanup() {
	for _, it := range m.items {
		it.cancel()
	}
	if !m.stopping {
		m.stopping = true
		go func() { m.stopped <- m.b.Stop(context.Background()) }()
	}
	m.finishAll()
	<-m.stopped
	m.sys.Shutdown()
}

// finishAll finishes every batch, and those that follow, until none is
// left.
func (m *batcherModel) finishAll() {
	for {
		var open []*pCall
		m.mu.Lock()
		for _, c := range m.calls {
			if !c.released {
				open = append(open, c)
			}
		}
		m.mu.Unlock()
		if len(open) == 0 {
			break
		}
		for _, c := range open {
			m.release(c, finishOK)
		}
		synctest.Wait()
	}
}
