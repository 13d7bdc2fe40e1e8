package batching

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
)

// rig drives a core by hand, with a fake clock that polls at the wake
// times the core asks for, as the batcher's timer would.
type rig struct {
	t    *testing.T
	now  time.Time
	c    *core[int, int]
	s    *recordingSink
	seen int
	wake time.Time
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newRig(t *testing.T, cfg Config) *rig {
	t.Helper()
	c, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, now: epoch, s: newRecordingSink()}
	r.c = newCore[int, int](c, r.s)
	return r
}

func (r *rig) poll() { r.wake = r.c.poll(r.now) }

// submit submits v under key, with a deadline d from now if d > 0.
func (r *rig) submit(key string, v int, d time.Duration) (*entry[int, int], error) {
	var deadline time.Time
	if d > 0 {
		deadline = r.now.Add(d)
	}
	e := &entry[int, int]{ctx: newManualCtx(deadline), key: key, value: v, deadline: deadline}
	_, err := r.c.submit(r.now, e)
	if err == nil {
		r.poll()
	}
	return e, err
}

func (r *rig) mustSubmit(key string, vs ...int) []*entry[int, int] {
	r.t.Helper()
	var es []*entry[int, int]
	for _, v := range vs {
		e, err := r.submit(key, v, 0)
		if err != nil {
			r.t.Fatalf("submit(%q, %d) = %v", key, v, err)
		}
		es = append(es, e)
	}
	return es
}

// advance moves the clock by d, polling at each wake time on the way.
func (r *rig) advance(d time.Duration) {
	end := r.now.Add(d)
	for !r.wake.IsZero() && !r.wake.After(end) {
		if !r.wake.After(r.now) {
			r.t.Fatalf("the core asks to be woken at %v, and it is %v already", r.wake, r.now)
		}
		r.now = r.wake
		r.poll()
	}
	r.now = end
}

// sent returns the batches started since the last call.
func (r *rig) sent() []*batch[int, int] {
	var bs []*batch[int, int]
	bs, r.seen = r.s.started(r.seen)
	return bs
}

// finish completes b, answering each item with its value × 10.
func (r *rig) finish(b *batch[int, int]) {
	rs := make([]Result[int], len(b.entries))
	for i, e := range b.entries {
		rs[i].Value = e.value * 10
	}
	r.c.done(b, rs)
	r.poll()
}

// shape describes a batch: its key, reason and values.
type shape struct {
	key    string
	reason FlushReason
	values []int
}

func shapes(bs []*batch[int, int]) []shape {
	out := make([]shape, len(bs))
	for i, b := range bs {
		out[i] = shape{key: b.kq.key, reason: b.reason}
		for _, e := range b.entries {
			out[i].values = append(out[i].values, e.value)
		}
	}
	return out
}

func wantSent(t *testing.T, r *rig, want ...shape) []*batch[int, int] {
	t.Helper()
	bs := r.sent()
	got := shapes(bs)
	if !slices.EqualFunc(got, want, func(a, b shape) bool {
		return a.key == b.key && a.reason == b.reason && slices.Equal(a.values, b.values)
	}) {
		t.Fatalf("sent %+v, want %+v", got, want)
	}
	return bs
}

// With EagerInFlight 1, an idle batcher sends the first item at once;
// items that come while a batch is in flight wait for MaxDelay.
func TestCoreEagerWhenIdle(t *testing.T) {
	r := newRig(t, Config{MaxInFlight: 2, EagerInFlight: 1, DisableFairShare: true})
	r.mustSubmit("", 1)
	wantSent(t, r, shape{"", FlushEager, []int{1}})
	r.mustSubmit("", 2, 3)
	wantSent(t, r)
	r.advance(DefaultMaxDelay - 1)
	wantSent(t, r)
	r.advance(1)
	wantSent(t, r, shape{"", FlushDelay, []int{2, 3}})
}

// With EagerInFlight = MaxInFlight, items go whenever a slot is free.
func TestCoreEagerWhileSlotFree(t *testing.T) {
	r := newRig(t, Config{MaxInFlight: 2, EagerInFlight: 2, DisableFairShare: true})
	r.mustSubmit("", 1)
	r.mustSubmit("", 2)
	r.mustSubmit("", 3)
	wantSent(t, r, shape{"", FlushEager, []int{1}}, shape{"", FlushEager, []int{2}})
}

// The fair share: a key's waiting items go once they are at least its
// load (waiting and in flight) spread over its slots — one item at light
// load, more under load — and never a smaller batch while one is waiting.
func TestCoreFairShare(t *testing.T) {
	r := newRig(t, Config{MaxInFlight: 2})
	r.mustSubmit("", 1)
	first := wantSent(t, r, shape{"", FlushEager, []int{1}})
	r.mustSubmit("", 2) // share: ⌈(1 waiting + 1 in flight) / 2 slots⌉ = 1
	second := wantSent(t, r, shape{"", FlushShare, []int{2}})
	r.mustSubmit("", 3, 4, 5, 6, 7, 8, 9, 10)
	r.finish(first[0]) // share: ⌈(8 + 1) / 2⌉ = 5
	wantSent(t, r, shape{"", FlushShare, []int{3, 4, 5, 6, 7}})
	r.finish(second[0]) // share: ⌈(3 + 5) / 2⌉ = 4 > 3 waiting
	wantSent(t, r)
	r.advance(DefaultMaxDelay)
	wantSent(t, r, shape{"", FlushDelay, []int{8, 9, 10}})
}

// A full batch goes at once, without waiting for MaxDelay.
func TestCoreSizeFlush(t *testing.T) {
	r := newRig(t, Config{MaxBatchSize: 3, EagerInFlight: -1, DisableFairShare: true, MaxInFlight: 2})
	r.mustSubmit("", 1, 2)
	wantSent(t, r)
	r.mustSubmit("", 3, 4)
	wantSent(t, r, shape{"", FlushSize, []int{1, 2, 3}})
}

// The oldest item's wait decides: the delay runs from it, not from the
// latest item.
func TestCoreDelayFromOldest(t *testing.T) {
	r := newRig(t, Config{EagerInFlight: -1, DisableFairShare: true, MaxDelay: 4 * time.Millisecond})
	r.mustSubmit("", 1)
	r.advance(3 * time.Millisecond)
	r.mustSubmit("", 2)
	r.advance(time.Millisecond - 1)
	wantSent(t, r)
	r.advance(1)
	wantSent(t, r, shape{"", FlushDelay, []int{1, 2}})
}

// A preferred size goes at once: the largest one that fits.
func TestCorePreferredSizes(t *testing.T) {
	r := newRig(t, Config{MaxBatchSize: 8, PreferredBatchSizes: []int{4, 2}, EagerInFlight: -1, DisableFairShare: true})
	r.mustSubmit("", 1)
	wantSent(t, r)
	r.mustSubmit("", 2)
	first := wantSent(t, r, shape{"", FlushPreferred, []int{1, 2}})
	r.mustSubmit("", 3, 4, 5, 6, 7)
	r.finish(first[0])
	wantSent(t, r, shape{"", FlushPreferred, []int{3, 4, 5, 6}})
}

// Keys never share a batch, and take turns: a key with a burst sends one
// batch per turn.
func TestCoreRoundRobin(t *testing.T) {
	r := newRig(t, Config{MaxBatchSize: 2, EagerInFlight: -1, DisableFairShare: true})
	r.mustSubmit("a", 1, 2)
	first := wantSent(t, r, shape{"a", FlushSize, []int{1, 2}})
	r.mustSubmit("a", 3, 4, 5, 6)
	r.mustSubmit("b", 7)
	r.mustSubmit("c", 8, 9)
	r.advance(DefaultMaxDelay)
	wantSent(t, r) // the one slot is busy
	r.finish(first[0])
	second := wantSent(t, r, shape{"a", FlushSize, []int{3, 4}})
	r.finish(second[0])
	third := wantSent(t, r, shape{"b", FlushDelay, []int{7}})
	r.finish(third[0])
	fourth := wantSent(t, r, shape{"c", FlushSize, []int{8, 9}})
	r.finish(fourth[0])
	wantSent(t, r, shape{"a", FlushSize, []int{5, 6}})
}

// A key at its own in-flight limit waits while other keys use the free
// slots.
func TestCorePerKeyInFlight(t *testing.T) {
	r := newRig(t, Config{MaxBatchSize: 2, MaxInFlight: 3, MaxInFlightPerKey: 1, EagerInFlight: -1, DisableFairShare: true})
	r.mustSubmit("a", 1, 2, 3, 4)
	wantSent(t, r, shape{"a", FlushSize, []int{1, 2}})
	r.mustSubmit("b", 5, 6)
	wantSent(t, r, shape{"b", FlushSize, []int{5, 6}})
}

// Past the queue bounds, submit fails at once with the configured status
// and Retry-After.
func TestCoreQueueBounds(t *testing.T) {
	r := newRig(t, Config{MaxQueue: 3, MaxQueuePerKey: 2, EagerInFlight: -1, DisableFairShare: true, RetryAfter: 2 * time.Second})
	r.mustSubmit("a", 1, 2)
	_, err := r.submit("a", 3, 0)
	wantReject(t, err, ErrKeyQueueFull, http.StatusTooManyRequests)
	r.mustSubmit("b", 4)
	_, err = r.submit("c", 5, 0)
	wantReject(t, err, ErrQueueFull, http.StatusServiceUnavailable)
	r.c.stop()
	_, err = r.submit("c", 6, 0)
	wantReject(t, err, ErrStopped, http.StatusServiceUnavailable)
}

func wantReject(t *testing.T, err, sentinel error, status int) {
	t.Helper()
	ae, ok := errors.AsType[*actors.Error](err)
	if !errors.Is(err, sentinel) || !ok || ae.Status != status || ae.RetryAfter <= 0 {
		t.Errorf("submit = %v, want %v with status %d and a Retry-After", err, sentinel, status)
	}
}

// A cancelled item leaves the queue at once and is answered with its
// context's error; cancelling a sent item changes nothing.
func TestCoreCancel(t *testing.T) {
	r := newRig(t, Config{EagerInFlight: -1, DisableFairShare: true})
	es := r.mustSubmit("", 1, 2)
	es[0].ctx.(*manualCtx).end(context.Canceled)
	r.c.cancel(es[0])
	r.poll()
	if r.c.queued != 1 || r.s.answers[es[0]] != 1 {
		t.Fatalf("after cancel: queued %d, answers %d; want 1 and 1", r.c.queued, r.s.answers[es[0]])
	}
	r.advance(DefaultMaxDelay)
	bs := wantSent(t, r, shape{"", FlushDelay, []int{2}})
	r.c.cancel(es[1])
	r.finish(bs[0])
	if r.s.answers[es[1]] != 1 {
		t.Errorf("a sent item cancelled got %d answers, want 1", r.s.answers[es[1]])
	}
}

// Items whose caller has gone, or whose deadline has passed, are dropped
// when their batch forms, even if no cancel came: they never reach the
// batch function.
func TestCoreDeadItemsDropped(t *testing.T) {
	r := newRig(t, Config{EagerInFlight: -1, DisableFairShare: true, MaxDelay: 5 * time.Millisecond})
	gone, _ := r.submit("", 1, 0)
	expiring, _ := r.submit("", 2, 2*time.Millisecond)
	r.mustSubmit("", 3)
	gone.ctx.(*manualCtx).end(context.Canceled)
	r.advance(5 * time.Millisecond) // expiring's deadline passed by the clock; its context has not ended
	wantSent(t, r, shape{"", FlushDelay, []int{3}})
	if got := r.drops(); !slices.Equal(got, []dropReason{dropCanceled, dropExpired}) {
		t.Errorf("drops = %v, want canceled, deadline", got)
	}
	if r.s.answers[expiring] != 1 {
		t.Error("the expired item was not answered")
	}
}

func (r *rig) drops() []dropReason {
	var out []dropReason
	for _, e := range r.s.events {
		if e.kind == "drop" {
			out = append(out, e.why)
		}
	}
	return out
}

// An item whose deadline is nearer than EstimatedDuration is answered 504
// (ErrTooLate) rather than sent.
func TestCoreTooLate(t *testing.T) {
	r := newRig(t, Config{EstimatedDuration: 3 * time.Millisecond})
	e, _ := r.submit("", 1, 2*time.Millisecond)
	wantSent(t, r)
	if len(r.s.events) != 1 || !errors.Is(r.s.events[0].result.Err, ErrTooLate) || actors.ErrorStatus(r.s.events[0].result.Err) != http.StatusGatewayTimeout {
		t.Fatalf("events = %+v, want one drop with ErrTooLate (504)", r.s.events)
	}
	if r.s.answers[e] != 1 {
		t.Error("not answered once")
	}
}

// With PreserveOrder, a batch that finishes early is answered after the
// batches sent before it.
func TestCorePreserveOrder(t *testing.T) {
	r := newRig(t, Config{MaxBatchSize: 1, MaxInFlight: 2, PreserveOrder: true})
	r.mustSubmit("", 1, 2)
	bs := wantSent(t, r, shape{"", FlushSize, []int{1}}, shape{"", FlushSize, []int{2}})
	r.finish(bs[1])
	if len(r.s.answers) != 0 {
		t.Fatal("the later batch was answered before the earlier one")
	}
	r.mustSubmit("", 3) // the slot is free again even though answers are held
	wantSent(t, r, shape{"", FlushSize, []int{3}})
	r.finish(bs[0])
	var order []int
	for _, e := range r.s.events {
		if e.kind == "answer" {
			order = append(order, e.result.Value)
		}
	}
	if !slices.Equal(order, []int{10, 20}) {
		t.Errorf("answers %v, want [10 20]", order)
	}
}

// Stopping sends everything waiting at once, refuses new items, and
// finishes once the last batch is back; the keys are forgotten.
func TestCoreStopFlushes(t *testing.T) {
	r := newRig(t, Config{MaxBatchSize: 2, MaxInFlight: 1, EagerInFlight: -1, DisableFairShare: true})
	r.mustSubmit("a", 1)
	r.mustSubmit("b", 2, 3, 4)
	first := wantSent(t, r, shape{"b", FlushSize, []int{2, 3}})
	r.c.stop()
	r.poll()
	wantSent(t, r)
	r.finish(first[0])
	second := wantSent(t, r, shape{"a", FlushShutdown, []int{1}})
	if r.c.finished() {
		t.Fatal("finished with items left")
	}
	r.finish(second[0])
	third := wantSent(t, r, shape{"b", FlushShutdown, []int{4}})
	r.finish(third[0])
	if !r.c.finished() || len(r.c.keys) != 0 || len(r.c.ring) != 0 {
		t.Errorf("finished %v, keys %d, ring %d; want true, 0, 0", r.c.finished(), len(r.c.keys), len(r.c.ring))
	}
}

// Abort answers every waiting item ErrStopped; batches in flight are
// still answered when they finish.
func TestCoreAbort(t *testing.T) {
	r := newRig(t, Config{EagerInFlight: 1, DisableFairShare: true})
	es := r.mustSubmit("", 1, 2, 3)
	bs := wantSent(t, r, shape{"", FlushEager, []int{1}})
	r.c.abort(newRejections(r.c.cfg).stopped)
	for _, e := range es[1:] {
		if r.s.answers[e] != 1 {
			t.Errorf("waiting item %d: %d answers, want 1", e.value, r.s.answers[e])
		}
	}
	if r.c.finished() {
		t.Fatal("finished with a batch in flight")
	}
	r.finish(bs[0])
	if !r.c.finished() || r.s.answers[es[0]] != 1 {
		t.Error("not finished after the last batch")
	}
}

// The core asks to be woken when the oldest item of a key with a free
// slot reaches MaxDelay, and not at all when every slot is busy.
func TestCoreWake(t *testing.T) {
	r := newRig(t, Config{MaxInFlight: 2, EagerInFlight: 1, DisableFairShare: true, MaxDelay: 3 * time.Millisecond})
	r.mustSubmit("", 1) // eager
	r.advance(time.Millisecond)
	r.mustSubmit("", 2)
	if want := epoch.Add(4 * time.Millisecond); !r.wake.Equal(want) {
		t.Errorf("wake = %v, want %v", r.wake, want)
	}
	busy := newRig(t, Config{MaxInFlight: 1})
	busy.mustSubmit("", 1, 2)
	if !busy.wake.IsZero() {
		t.Errorf("wake = %v with every slot busy, want none", busy.wake)
	}
}

// Once a batch has finished, so that the core knows how long one takes,
// an item that would wait longer than MaxQueueDelay behind those queued
// is refused at once with a Retry-After of that wait; the items queued
// are not disturbed, and a core that has not timed a batch queues up to
// MaxQueue.
func TestCoreQueueDelay(t *testing.T) {
	r := newRig(t, Config{MaxBatchSize: 4, MaxInFlight: 1, MaxQueueDelay: 100 * time.Millisecond, EagerInFlight: -1, DisableFairShare: true})
	// Nothing timed yet: 4 items form a batch; 40 more queue.
	r.mustSubmit("a", 1, 2, 3, 4)
	first := wantSent(t, r, shape{"a", FlushSize, []int{1, 2, 3, 4}})
	for v := range 40 {
		r.mustSubmit("a", 100+v)
	}
	first[0].took = 30 * time.Millisecond
	r.finish(first[0]) // the next batch goes: 36 wait, 9 rounds of 30 ms
	if got := len(r.sent()); got != 1 {
		t.Fatalf("%d batches sent after the first finished, want 1", got)
	}
	_, err := r.submit("a", 999, 0)
	wantReject(t, err, ErrQueueDelay, http.StatusServiceUnavailable)
	if ae, _ := errors.AsType[*actors.Error](err); ae == nil || ae.RetryAfter != time.Second {
		t.Errorf("Retry-After of a refusal for a 270 ms wait = %v, want 1s (rounded, at least a second)", ae)
	}
	if r.c.queued != 36 {
		t.Errorf("%d queued after the refusal, want the 36 that were", r.c.queued)
	}

	// A batcher with room for 100 ms of batches takes items up to there:
	// 30 ms a batch of 4, one in flight, so 16 queued wait 120 ms and the
	// 17th is refused.
	r2 := newRig(t, Config{MaxBatchSize: 4, MaxInFlight: 1, MaxQueueDelay: 100 * time.Millisecond, EagerInFlight: -1, DisableFairShare: true})
	r2.mustSubmit("a", 1, 2, 3, 4)
	b := wantSent(t, r2, shape{"a", FlushSize, []int{1, 2, 3, 4}})
	b[0].took = 30 * time.Millisecond
	r2.finish(b[0])
	r2.mustSubmit("a", 5, 6, 7, 8) // a batch, in flight
	wantSent(t, r2, shape{"a", FlushSize, []int{5, 6, 7, 8}})
	queued := 0
	for v := 9; ; v++ {
		if _, err := r2.submit("a", v, 0); err != nil {
			wantReject(t, err, ErrQueueDelay, http.StatusServiceUnavailable)
			break
		}
		queued++
	}
	if queued != 16 {
		t.Errorf("%d items queued before the first refusal, want 16 (4 rounds of 30 ms pass 100 ms)", queued)
	}
}

// Without EstimatedDuration, the batches that finished say how long one
// takes: an item with less time left than that is answered ErrTooLate
// (504) instead of sent, and before any batch has finished, every item
// whose deadline has not passed is sent.
func TestCoreTooLateByMeasure(t *testing.T) {
	r := newRig(t, Config{})
	r.submit("", 1, 2*time.Millisecond) // nothing measured: sent
	b := wantSent(t, r, shape{"", FlushEager, []int{1}})
	b[0].took = 10 * time.Millisecond
	r.finish(b[0])
	r.submit("", 2, 5*time.Millisecond) // 5 ms left for a 10 ms batch
	wantSent(t, r)
	last := r.s.events[len(r.s.events)-1]
	if !errors.Is(last.result.Err, ErrTooLate) || actors.ErrorStatus(last.result.Err) != http.StatusGatewayTimeout {
		t.Fatalf("last event = %+v, want a drop with ErrTooLate (504)", last)
	}
	r.submit("", 3, 20*time.Millisecond) // time enough
	wantSent(t, r, shape{"", FlushEager, []int{3}})
}
