package batching

import (
	"context"
	"time"
)

// entryState is where an item is in its life: each item is answered once.
type entryState uint8

const (
	entryNew      entryState = iota // built by Submit, not yet seen by the actor
	entryQueued                     // waiting in its key's queue
	entrySent                       // in a batch in flight
	entryAnswered                   // answered: result, error, drop or rejection
)

// entry is one submitted item, as the batcher's actor holds it. Only the
// actor changes it once Submit has sent it; reply is how the answer gets
// back.
type entry[In, Out any] struct {
	ctx      context.Context // the caller's: a per-request message, like http.Request
	key      string
	value    In
	deadline time.Time // from ctx; zero for none
	arrival  time.Time // when the actor queued it
	// reply carries the one answer. Size one, so the actor never blocks
	// on a caller that has stopped listening. Nil for SubmitFunc's
	// entries, which are answered through notify instead.
	reply chan Result[Out]
	// notify is SubmitFunc's callback; unwatch stops the watch on ctx that
	// takes the entry out of the queue when its caller goes.
	notify     func(Result[Out])
	unwatch    func() bool
	notified   bool
	early      bool // notified with its context's error while its batch ran
	state      entryState
	prev, next *entry[In, Out]
}

// batch is a group of one key's items sent together.
type batch[In, Out any] struct {
	kq      *keyQueue[In, Out]
	entries []*entry[In, Out]
	reason  FlushReason
	start   time.Time

	// Set by the batcher around the BatchFunc call.
	cancel  context.CancelFunc // ends the batch's context; for Stop's abort
	results []Result[Out]      // one per entry, errors included
	failure failReason         // why the whole batch failed, if failed
	failed  bool
	took    time.Duration

	finished bool // the BatchFunc returned; answers held for PreserveOrder
}

// keyQueue is one key's waiting items, oldest first, as a doubly linked
// list so that a cancelled item leaves in O(1).
type keyQueue[In, Out any] struct {
	key           string
	head, tail    *entry[In, Out]
	n             int
	inFlight      int
	inFlightItems int
	inRing        bool
	order         []*batch[In, Out] // in flight, in the order sent; only with PreserveOrder
}

func (q *keyQueue[In, Out]) push(e *entry[In, Out]) {
	e.prev, e.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = e
	} else {
		q.head = e
	}
	q.tail = e
	q.n++
}

func (q *keyQueue[In, Out]) remove(e *entry[In, Out]) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		q.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		q.tail = e.prev
	}
	e.prev, e.next = nil, nil
	q.n--
}

// idle reports whether the key holds nothing: no item waiting, no batch
// in flight or held.
func (q *keyQueue[In, Out]) idle() bool {
	return q.n == 0 && q.inFlight == 0 && len(q.order) == 0
}
