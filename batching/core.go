package batching

import (
	"context"
	"errors"
	"slices"
	"time"
)

// sink is what the core's decisions act on: the batcher's actor runs
// batches and delivers answers; tests record them.
type sink[In, Out any] interface {
	// start runs b, whose entries have left the queue.
	start(b *batch[In, Out])
	// answer delivers r, the result of e's batch.
	answer(e *entry[In, Out], r Result[Out])
	// drop answers err to e, taken out of the queue unsent.
	drop(e *entry[In, Out], why dropReason, err error)
}

// core is a batcher's state machine: the queues of every key, the round
// robin over them, the batches in flight, and the decision of what goes
// when. It has no goroutines, locks or clock of its own: time comes in as
// an argument, and its decisions go out through its sink. It is not safe
// for concurrent use; the batcher's actor owns it.
//
// After every input (submit, cancel, done, stop, abort) the owner calls
// poll, which sends what is ready and says when to poll again.
type core[In, Out any] struct {
	cfg      Config // with defaults
	rej      rejections
	sink     sink[In, Out]
	keys     map[string]*keyQueue[In, Out]
	ring     []*keyQueue[In, Out] // keys with waiting items, in round-robin order
	queued   int                  // items waiting, all keys
	inFlight int                  // batches running, all keys
	held     int                  // batches finished, answers held for order
	draining bool
	hurried  bool // shutting down: send at once, but still take items
	// batchTime is how long a batch takes, smoothed; 0 until one has
	// finished (with a duration: tests that drive the core may leave it
	// out).
	batchTime time.Duration
}

func newCore[In, Out any](cfg Config, s sink[In, Out]) *core[In, Out] {
	return &core[In, Out]{cfg: cfg, rej: newRejections(cfg), sink: s, keys: map[string]*keyQueue[In, Out]{}}
}

// submit queues e at now, or returns why not.
func (c *core[In, Out]) submit(now time.Time, e *entry[In, Out]) (rejectReason, error) {
	switch {
	case c.draining:
		return rejectStopped, c.rej.stopped
	case c.queued >= c.cfg.MaxQueue:
		return rejectQueueFull, c.rej.queueFull
	}
	kq := c.keys[e.key]
	if kq != nil && kq.n >= c.cfg.MaxQueuePerKey {
		return rejectKeyQueueFull, c.rej.keyQueueFull
	}
	if wait := c.queueWait(); c.cfg.MaxQueueDelay > 0 && wait > c.cfg.MaxQueueDelay {
		return rejectQueueDelay, c.rej.queueDelay(wait)
	}
	if kq == nil {
		kq = &keyQueue[In, Out]{key: e.key}
		c.keys[e.key] = kq
	}
	e.arrival, e.state = now, entryQueued
	kq.push(e)
	c.queued++
	if !kq.inRing {
		kq.inRing = true
		c.ring = append(c.ring, kq)
	}
	return 0, nil
}

// queueWait returns the least a new item would wait before its batch
// goes: every slot running full batches, the items queued ahead of it
// take that many rounds of a batch's time. An under-estimate (batches are
// not always full, and slots busy now free later), so that what it
// refuses would surely have waited too long.
func (c *core[In, Out]) queueWait() time.Duration {
	rounds := c.queued / (c.cfg.MaxInFlight * c.cfg.MaxBatchSize)
	return time.Duration(rounds) * c.batchTime
}

// cancel takes e out of the queue, if it is still there, and answers it
// with its context's error: its caller has gone or run out of time.
func (c *core[In, Out]) cancel(e *entry[In, Out]) {
	if e.state != entryQueued {
		return // sent (its batch's context will see the caller go) or answered
	}
	kq := c.keys[e.key]
	kq.remove(e)
	c.queued--
	err := e.ctx.Err()
	why := dropCanceled
	switch {
	case err == nil:
		err = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		why = dropExpired
	}
	e.state = entryAnswered
	c.sink.drop(e, why, err)
}

// done records that b's BatchFunc returned results (one per entry) and
// answers its entries — or, with PreserveOrder, holds them until the
// key's earlier batches have been answered.
func (c *core[In, Out]) done(b *batch[In, Out], results []Result[Out]) {
	kq := b.kq
	if b.took > 0 {
		if c.batchTime == 0 {
			c.batchTime = b.took
		} else {
			c.batchTime += (b.took - c.batchTime) / 4
		}
	}
	c.inFlight--
	kq.inFlight--
	kq.inFlightItems -= len(b.entries)
	if !c.cfg.PreserveOrder {
		c.answerAll(b, results)
		c.forget(kq)
		return
	}
	b.results, b.finished = results, true
	c.held++
	for len(kq.order) > 0 && kq.order[0].finished {
		h := kq.order[0]
		kq.order = slices.Delete(kq.order, 0, 1)
		c.held--
		c.answerAll(h, h.results)
	}
	c.forget(kq)
}

func (c *core[In, Out]) answerAll(b *batch[In, Out], results []Result[Out]) {
	for i, e := range b.entries {
		e.state = entryAnswered
		c.sink.answer(e, results[i])
	}
}

// stop stops taking items: from now on submit refuses, and poll sends
// whatever is waiting, as fast as slots free.
func (c *core[In, Out]) stop() { c.draining = true }

// hurry makes the core send what it holds at once, and every item that
// comes after, without waiting for batches to fill: the app is shutting
// down. Unlike stop, it still takes items.
func (c *core[In, Out]) hurry() { c.hurried = true }

// abort answers err to every waiting item (Stop ran out of time); batches
// in flight are still answered when they finish.
func (c *core[In, Out]) abort(err error) {
	c.draining = true
	c.dropWaiting(dropStopped, err)
}

// dropWaiting answers err to every waiting item; batches in flight are
// still answered when they finish.
func (c *core[In, Out]) dropWaiting(why dropReason, err error) {
	for _, kq := range c.ring {
		for kq.head != nil {
			e := kq.head
			kq.remove(e)
			c.queued--
			e.state = entryAnswered
			c.sink.drop(e, why, err)
		}
	}
	c.sweep()
}

// finished reports whether, stopping, every item accepted has been
// answered.
func (c *core[In, Out]) finished() bool {
	return c.draining && c.queued == 0 && c.inFlight == 0 && c.held == 0
}

// poll sends every batch that is ready at now, as slots allow, and returns
// when to poll again if nothing else happens first (zero: only after the
// next input).
func (c *core[In, Out]) poll(now time.Time) time.Time {
	for c.inFlight < c.cfg.MaxInFlight && c.sendOne(now) {
	}
	c.sweep()
	return c.wake()
}

// sendOne scans the ring from its head and sends the first key's ready
// batch, moving that key to the tail. It reports whether it changed
// anything (a batch sent, or dead items dropped).
func (c *core[In, Out]) sendOne(now time.Time) bool {
	for i, kq := range c.ring {
		if kq.n == 0 || kq.inFlight >= c.cfg.MaxInFlightPerKey {
			continue
		}
		n, reason, ok := c.ready(now, kq)
		if !ok {
			continue
		}
		c.take(now, kq, n, reason)
		c.ring = append(slices.Delete(c.ring, i, i+1), kq)
		return true
	}
	return false
}

// ready reports whether kq, which has items waiting and a free slot, has a
// batch to send at now, of how many items, and why.
func (c *core[In, Out]) ready(now time.Time, kq *keyQueue[In, Out]) (int, FlushReason, bool) {
	max := c.cfg.MaxBatchSize
	switch {
	case c.draining || c.hurried:
		return min(kq.n, max), FlushShutdown, true
	case kq.n >= max:
		return max, FlushSize, true
	}
	if p := c.preferred(kq.n); p > 0 {
		return p, FlushPreferred, true
	}
	if !now.Before(kq.head.arrival.Add(c.cfg.MaxDelay)) {
		return kq.n, FlushDelay, true
	}
	if c.inFlight < c.cfg.EagerInFlight {
		return kq.n, FlushEager, true
	}
	if share := c.share(kq); !c.cfg.DisableFairShare && kq.n >= share {
		return share, FlushShare, true
	}
	return 0, 0, false
}

// share returns kq's fair share of a batch: its items, waiting and in
// flight, spread over the slots it may use, rounded up.
func (c *core[In, Out]) share(kq *keyQueue[In, Out]) int {
	slots := c.cfg.MaxInFlightPerKey
	return (kq.n + kq.inFlightItems + slots - 1) / slots
}

// preferred returns the largest preferred batch size not above n, or 0.
func (c *core[In, Out]) preferred(n int) int {
	p := 0
	for _, s := range c.cfg.PreferredBatchSizes {
		if s > n {
			break
		}
		p = s
	}
	return p
}

// take sends a batch of up to n of kq's live items, oldest first,
// dropping the dead ones it meets on the way.
func (c *core[In, Out]) take(now time.Time, kq *keyQueue[In, Out], n int, reason FlushReason) {
	entries := make([]*entry[In, Out], 0, n)
	for len(entries) < n && kq.head != nil {
		e := kq.head
		kq.remove(e)
		c.queued--
		if why, err := c.dead(now, e); err != nil {
			e.state = entryAnswered
			c.sink.drop(e, why, err)
			continue
		}
		e.state = entrySent
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return
	}
	b := &batch[In, Out]{kq: kq, entries: entries, reason: reason, start: now}
	c.inFlight++
	kq.inFlight++
	kq.inFlightItems += len(entries)
	if c.cfg.PreserveOrder {
		kq.order = append(kq.order, b)
	}
	c.sink.start(b)
}

// dead reports whether e must not be sent at now: its caller has gone,
// its deadline has passed, or it would pass before an estimated batch
// finished.
func (c *core[In, Out]) dead(now time.Time, e *entry[In, Out]) (dropReason, error) {
	if err := e.ctx.Err(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return dropExpired, err
		}
		return dropCanceled, err
	}
	if e.deadline.IsZero() {
		return 0, nil
	}
	switch left := e.deadline.Sub(now); {
	case left <= 0:
		return dropExpired, context.DeadlineExceeded
	case left < c.estimate():
		return dropTooLate, c.rej.tooLate
	}
	return 0, nil
}

// estimate returns how long a batch is expected to take: the configured
// EstimatedDuration, or else the smoothed time of the batches that have
// finished (0 before the first).
func (c *core[In, Out]) estimate() time.Duration {
	if c.cfg.EstimatedDuration > 0 {
		return c.cfg.EstimatedDuration
	}
	return c.batchTime
}

// sweep takes the keys with no waiting items out of the ring, and
// forgets the keys that hold nothing at all.
func (c *core[In, Out]) sweep() {
	c.ring = slices.DeleteFunc(c.ring, func(kq *keyQueue[In, Out]) bool {
		if kq.n > 0 {
			return false
		}
		kq.inRing = false
		c.forget(kq)
		return true
	})
}

// forget deletes kq once it holds nothing and is out of the ring, so that
// memory follows the keys in use.
func (c *core[In, Out]) forget(kq *keyQueue[In, Out]) {
	if !kq.inRing && kq.idle() {
		delete(c.keys, kq.key)
	}
}

// wake returns when the oldest item of a key with a free slot reaches
// MaxDelay, the next time poll could send something without another
// input; zero if there is no such key.
func (c *core[In, Out]) wake() time.Time {
	if c.draining || c.inFlight >= c.cfg.MaxInFlight {
		return time.Time{}
	}
	var next time.Time
	for _, kq := range c.ring {
		if kq.n == 0 || kq.inFlight >= c.cfg.MaxInFlightPerKey {
			continue
		}
		if t := kq.head.arrival.Add(c.cfg.MaxDelay); next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next
}

// queuedItems and inFlightBatches are for the metrics gauges.
func (c *core[In, Out]) queuedItems() int     { return c.queued }
func (c *core[In, Out]) inFlightBatches() int { return c.inFlight }
