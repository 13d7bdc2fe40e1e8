package batching

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestCoreProperties drives the core with random sequences of submits,
// cancellations, clock moves, batch completions and stops, under random
// settings, and checks after every step that:
//   - every item is answered exactly once, and a rejected item never;
//   - no batch is larger than MaxBatchSize or mixes keys, and in-flight
//     limits hold, globally and per key;
//   - no item waits MaxDelay or longer while a slot of its key is free,
//     nor while fewer than EagerInFlight batches run, nor while its key's
//     fair share of a batch (or a full or preferred one) is waiting;
//   - an item whose caller has gone, or whose deadline has passed (or is
//     nearer than EstimatedDuration), never reaches a batch;
//   - the queue bounds hold, and rejections say which;
//   - with PreserveOrder, a key's batches are answered in the order sent;
//   - stopping answers everything and forgets every key.
func TestCoreProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		m := newCoreModel(rt)
		rt.Repeat(map[string]func(*rapid.T){
			"submit":   m.submit,
			"cancel":   m.cancel,
			"deliver":  m.deliver,
			"advance":  m.advance,
			"complete": m.complete,
			"stop":     m.stop,
			"abort":    m.abort,
			"":         m.check,
		})
		m.drain(rt)
	})
}

// modelItem is one submitted item as the model tracks it.
type modelItem struct {
	e        *entry[int, int]
	ctx      *manualCtx
	rejected bool
	batch    *batch[int, int] // the batch it went in, if any
	want     *Result[int]     // what its batch answered it
}

type coreModel struct {
	t       *rapid.T
	cfg     Config
	now     time.Time
	wake    time.Time
	c       *core[int, int]
	items   []*modelItem
	byEntry map[*entry[int, int]]*modelItem
	answers map[*entry[int, int]]int
	flight  []*batch[int, int] // sent, not completed
	seq     map[*batch[int, int]]int
	nextSeq int
	lastAns map[string]int // per key, the seq of the last batch answered
	pending []*modelItem   // cancels not yet delivered to the core
	stopped bool
	aborted bool
	stopErr error
}

func newCoreModel(t *rapid.T) *coreModel {
	maxInFlight := rapid.IntRange(1, 3).Draw(t, "max_in_flight")
	maxBatch := rapid.IntRange(1, 5).Draw(t, "max_batch_size")
	cfg := Config{
		MaxBatchSize:      maxBatch,
		MaxDelay:          time.Duration(rapid.IntRange(1, 4).Draw(t, "max_delay_ms")) * time.Millisecond,
		MaxInFlight:       maxInFlight,
		MaxInFlightPerKey: rapid.IntRange(0, maxInFlight).Draw(t, "max_in_flight_per_key"),
		EagerInFlight:     rapid.IntRange(-1, maxInFlight).Draw(t, "eager_in_flight"),
		MaxQueue:          rapid.IntRange(1, 12).Draw(t, "max_queue"),
		MaxQueuePerKey:    rapid.IntRange(0, 8).Draw(t, "max_queue_per_key"),
		EstimatedDuration: time.Duration(rapid.IntRange(0, 2).Draw(t, "estimated_ms")) * time.Millisecond,
		PreserveOrder:     rapid.Bool().Draw(t, "preserve_order"),
		DisableFairShare:  rapid.Bool().Draw(t, "disable_fair_share"),
	}
	if rapid.Bool().Draw(t, "preferred") {
		cfg.PreferredBatchSizes = []int{rapid.IntRange(1, maxBatch).Draw(t, "preferred_size")}
	}
	c, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	m := &coreModel{
		t: t, cfg: c, now: epoch,
		byEntry: map[*entry[int, int]]*modelItem{},
		answers: map[*entry[int, int]]int{},
		seq:     map[*batch[int, int]]int{},
		lastAns: map[string]int{},
		stopErr: errors.New("stopped"),
	}
	m.c = newCore[int, int](c, (*modelSink)(m))
	return m
}

func (m *coreModel) poll() { m.wake = m.c.poll(m.now) }

func (m *coreModel) submit(t *rapid.T) {
	key := rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "key")
	var deadline time.Time
	if rapid.Bool().Draw(t, "has_deadline") {
		deadline = m.now.Add(time.Duration(rapid.IntRange(1, 8).Draw(t, "deadline_ms")) * time.Millisecond)
	}
	ctx := newManualCtx(deadline)
	it := &modelItem{e: &entry[int, int]{ctx: ctx, key: key, value: len(m.items), deadline: deadline}, ctx: ctx}
	var want error
	switch {
	case m.stopped:
		want = ErrStopped
	case m.queued("") >= m.cfg.MaxQueue:
		want = ErrQueueFull
	case m.queued(key) >= m.cfg.MaxQueuePerKey:
		want = ErrKeyQueueFull
	}
	m.items = append(m.items, it)
	m.byEntry[it.e] = it
	_, err := m.c.submit(m.now, it.e)
	if !errors.Is(err, want) || (want == nil) != (err == nil) {
		t.Fatalf("submit = %v, want %v", err, want)
	}
	it.rejected = err != nil
	m.poll()
}

// cancel ends a live item's context, as a client that leaves; the core
// hears of it now or later, as the actor would.
func (m *coreModel) cancel(t *rapid.T) {
	var live []*modelItem
	for _, it := range m.items {
		if !it.rejected && it.ctx.err == nil && m.answers[it.e] == 0 {
			live = append(live, it)
		}
	}
	if len(live) == 0 {
		t.Skip("no live item")
	}
	it := rapid.SampledFrom(live).Draw(t, "item")
	it.ctx.end(context.Canceled)
	m.pending = append(m.pending, it)
	if rapid.Bool().Draw(t, "deliver_now") {
		m.deliver(t)
		return
	}
	m.poll()
}

func (m *coreModel) deliver(*rapid.T) {
	for _, it := range m.pending {
		m.c.cancel(it.e)
	}
	m.pending = nil
	m.poll()
}

// advance moves the clock, ending the contexts whose deadline passes and
// polling at each wake time on the way, as the actor's timer would.
func (m *coreModel) advance(t *rapid.T) {
	d := rapid.SampledFrom([]time.Duration{time.Microsecond, 100 * time.Microsecond, 999 * time.Microsecond, time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond}).Draw(t, "d")
	end := m.now.Add(d)
	for !m.wake.IsZero() && !m.wake.After(end) {
		if !m.wake.After(m.now) {
			t.Fatalf("the core asks to be woken at %v, and it is %v already", m.wake, m.now)
		}
		m.now = m.wake
		m.expire()
		m.poll()
	}
	m.now = end
	m.expire() // no poll: without a tick or a message, the actor does nothing
}

func (m *coreModel) expire() {
	for _, it := range m.items {
		if !it.rejected && it.ctx.err == nil && !it.ctx.deadline.IsZero() && !m.now.Before(it.ctx.deadline) {
			it.ctx.end(context.DeadlineExceeded)
			m.pending = append(m.pending, it)
		}
	}
}

// complete finishes a batch in flight with a random mix of results and
// per-item errors, or an error for all.
func (m *coreModel) complete(t *rapid.T) {
	if len(m.flight) == 0 {
		t.Skip("nothing in flight")
	}
	i := rapid.IntRange(0, len(m.flight)-1).Draw(t, "batch")
	b := m.flight[i]
	m.flight = append(m.flight[:i], m.flight[i+1:]...)
	whole := rapid.Bool().Draw(t, "whole_batch_fails")
	rs := make([]Result[int], len(b.entries))
	for j, e := range b.entries {
		switch {
		case whole:
			rs[j].Err = m.stopErr
		case rapid.Bool().Draw(t, "item_fails"):
			rs[j].Err = fmt.Errorf("item %d failed", e.value)
		default:
			rs[j].Value = e.value * 10
		}
		m.byEntry[e].want = &rs[j]
	}
	m.c.done(b, rs)
	m.poll()
}

func (m *coreModel) stop(*rapid.T) {
	m.c.stop()
	m.stopped = true
	m.poll()
}

func (m *coreModel) abort(t *rapid.T) {
	if !rapid.Bool().Draw(t, "really") { // rarer than the other actions
		t.Skip("not this time")
	}
	m.stopped, m.aborted = true, true
	m.c.abort(m.stopErr)
	m.poll()
}

// queued counts the items waiting in the core's queue of key ("" for all).
func (m *coreModel) queued(key string) int {
	n := 0
	for _, it := range m.items {
		if !it.rejected && it.batch == nil && m.answers[it.e] == 0 && (key == "" || it.e.key == key) {
			n++
		}
	}
	return n
}

// inFlightItems counts the items of key in batches in flight.
func (m *coreModel) inFlightItems(key string) int {
	n := 0
	for _, b := range m.flight {
		if b.kq.key == key {
			n += len(b.entries)
		}
	}
	return n
}

func (m *coreModel) inFlight(key string) int {
	n := 0
	for _, b := range m.flight {
		if key == "" || b.kq.key == key {
			n++
		}
	}
	return n
}

func (m *coreModel) check(t *rapid.T) {
	if got, want := m.c.queued, m.queued(""); got != want || got > m.cfg.MaxQueue {
		t.Fatalf("core has %d queued, model %d, bound %d", got, want, m.cfg.MaxQueue)
	}
	if got, want := m.c.inFlight, len(m.flight); got != want {
		t.Fatalf("core has %d in flight, model %d", got, want)
	}
	for key, kq := range m.c.keys {
		if kq.n != m.queued(key) || kq.inFlight != m.inFlight(key) || kq.inFlightItems != m.inFlightItems(key) {
			t.Fatalf("key %q: core counts %d waiting, %d batches and %d items in flight; model %d, %d, %d",
				key, kq.n, kq.inFlight, kq.inFlightItems, m.queued(key), m.inFlight(key), m.inFlightItems(key))
		}
	}
	for _, it := range m.items {
		if it.rejected || it.batch != nil || m.answers[it.e] != 0 {
			continue
		}
		key := it.e.key
		if m.queued(key) > m.cfg.MaxQueuePerKey {
			t.Fatalf("key %q has %d queued, bound %d", key, m.queued(key), m.cfg.MaxQueuePerKey)
		}
		slotFree := m.inFlight("") < m.cfg.MaxInFlight && m.inFlight(key) < m.cfg.MaxInFlightPerKey
		if !slotFree {
			continue
		}
		waited := m.now.Sub(it.e.arrival)
		switch n := m.queued(key); {
		case n >= m.cfg.MaxBatchSize:
			t.Fatalf("key %q has a full batch (%d) waiting with a slot free", key, n)
		case len(m.cfg.PreferredBatchSizes) > 0 && n >= m.cfg.PreferredBatchSizes[0]:
			t.Fatalf("key %q has a preferred batch (%d) waiting with a slot free", key, n)
		case !m.cfg.DisableFairShare && n*m.cfg.MaxInFlightPerKey >= n+m.inFlightItems(key):
			t.Fatalf("key %q has its fair share waiting with a slot free: %d waiting, %d in flight, %d slots", key, n, m.inFlightItems(key), m.cfg.MaxInFlightPerKey)
		case m.stopped:
			t.Fatalf("item %d waits while stopping with a slot free", it.e.value)
		case waited >= m.cfg.MaxDelay:
			t.Fatalf("item %d has waited %v (max delay %v) with a slot free", it.e.value, waited, m.cfg.MaxDelay)
		case m.inFlight("") < m.cfg.EagerInFlight:
			t.Fatalf("item %d waits with %d in flight, below eager_in_flight %d", it.e.value, m.inFlight(""), m.cfg.EagerInFlight)
		}
	}
}

// drain stops the core and completes every batch: then every accepted item
// must have been answered once, and the core must hold nothing.
func (m *coreModel) drain(t *rapid.T) {
	m.stop(t)
	for len(m.flight) > 0 || len(m.pending) > 0 {
		m.deliver(t)
		for len(m.flight) > 0 {
			b := m.flight[0]
			m.flight = m.flight[1:]
			rs := make([]Result[int], len(b.entries))
			for j, e := range b.entries {
				rs[j].Value = e.value * 10
				m.byEntry[e].want = &rs[j]
			}
			m.c.done(b, rs)
			m.poll()
		}
	}
	if !m.c.finished() || len(m.c.keys) != 0 || len(m.c.ring) != 0 {
		t.Fatalf("after drain: finished %v, %d keys, %d in ring", m.c.finished(), len(m.c.keys), len(m.c.ring))
	}
	for _, it := range m.items {
		want := 1
		if it.rejected {
			want = 0
		}
		if got := m.answers[it.e]; got != want {
			t.Fatalf("item %d (rejected %v) answered %d times, want %d", it.e.value, it.rejected, got, want)
		}
	}
}

// modelSink is the model as the core's sink: it checks every decision as
// it is made.
type modelSink coreModel

func (s *modelSink) start(b *batch[int, int]) {
	m := (*coreModel)(s)
	t := m.t
	if n := len(b.entries); n < 1 || n > m.cfg.MaxBatchSize {
		t.Fatalf("batch of %d, max %d", n, m.cfg.MaxBatchSize)
	}
	for _, e := range b.entries {
		it := m.byEntry[e]
		switch {
		case e.key != b.kq.key:
			t.Fatalf("batch of key %q holds an item of key %q", b.kq.key, e.key)
		case it.rejected || it.batch != nil || m.answers[e] != 0:
			t.Fatalf("item %d sent though rejected, sent or answered", e.value)
		case it.ctx.err != nil:
			t.Fatalf("item %d sent though its context ended (%v)", e.value, it.ctx.err)
		case !e.deadline.IsZero() && e.deadline.Sub(m.now) < max(m.cfg.EstimatedDuration, 1):
			t.Fatalf("item %d sent with %v left, estimate %v", e.value, e.deadline.Sub(m.now), m.cfg.EstimatedDuration)
		}
		it.batch = b
	}
	m.flight = append(m.flight, b)
	if m.inFlight("") > m.cfg.MaxInFlight || m.inFlight(b.kq.key) > m.cfg.MaxInFlightPerKey {
		t.Fatalf("%d in flight (%d of key %q), limits %d and %d", m.inFlight(""), m.inFlight(b.kq.key), b.kq.key, m.cfg.MaxInFlight, m.cfg.MaxInFlightPerKey)
	}
	m.nextSeq++
	m.seq[b] = m.nextSeq
}

func (s *modelSink) answer(e *entry[int, int], r Result[int]) {
	m := (*coreModel)(s)
	it := m.byEntry[e]
	m.answers[e]++
	switch {
	case m.answers[e] > 1:
		m.t.Fatalf("item %d answered twice", e.value)
	case it.batch == nil || it.want == nil:
		m.t.Fatalf("item %d answered with a result before its batch finished", e.value)
	case r != *it.want:
		m.t.Fatalf("item %d answered %+v, want %+v", e.value, r, *it.want)
	}
	if m.cfg.PreserveOrder {
		seq := m.seq[it.batch]
		if seq < m.lastAns[e.key] {
			m.t.Fatalf("key %q: batch %d answered after batch %d", e.key, seq, m.lastAns[e.key])
		}
		m.lastAns[e.key] = seq
	}
}

func (s *modelSink) drop(e *entry[int, int], why dropReason, err error) {
	m := (*coreModel)(s)
	it := m.byEntry[e]
	m.answers[e]++
	switch {
	case m.answers[e] > 1:
		m.t.Fatalf("item %d answered twice", e.value)
	case it.batch != nil:
		m.t.Fatalf("item %d dropped after it was sent", e.value)
	case err == nil:
		m.t.Fatalf("item %d dropped without an error", e.value)
	case why == dropCanceled && !errors.Is(it.ctx.err, context.Canceled):
		m.t.Fatalf("item %d dropped as canceled; its context says %v", e.value, it.ctx.err)
	case why == dropExpired && it.ctx.err == nil && m.now.Before(e.deadline):
		m.t.Fatalf("item %d dropped as expired before its deadline", e.value)
	case why == dropTooLate && e.deadline.Sub(m.now) >= m.cfg.EstimatedDuration:
		m.t.Fatalf("item %d dropped as too late with %v left", e.value, e.deadline.Sub(m.now))
	case why == dropStopped && !m.aborted:
		m.t.Fatalf("item %d dropped as stopped without an abort", e.value)
	}
}
