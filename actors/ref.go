package actors

import (
	"hash/maphash"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// ref addresses the actors that host one hop and picks the one an exchange
// goes to. Picking runs on the sender's goroutine: no extra hop.
type ref interface {
	tell(ex *Exchange)
	// queued returns the number of exchanges waiting in the hop's
	// mailboxes.
	queued() int
}

// routees are the actors of one hop, with their mailboxes for queue depth.
type routees struct {
	root      *actor.RootContext
	pids      []*actor.PID
	mailboxes []actor.Mailbox
}

func (r *routees) queued() int {
	n := 0
	for _, m := range r.mailboxes {
		if m != nil {
			n += m.UserMessageCount()
		}
	}
	return n
}

// roundRobin spreads exchanges evenly over interchangeable actors.
type roundRobin struct {
	routees
	next atomic.Uint32
}

func (r *roundRobin) tell(ex *Exchange) {
	i := r.next.Add(1) % uint32(len(r.pids))
	r.root.Send(r.pids[i], ex)
}

// partitioned sends equal keys to the same actor.
type partitioned struct {
	routees
	seed  maphash.Seed
	key   func(ex *Exchange) string
	stage string
}

func (r *partitioned) tell(ex *Exchange) {
	key, ok := r.safeKey(ex)
	if !ok {
		// The key function panicked on the sender's goroutine, outside any
		// actor: fail the exchange here and send it back, so that it is
		// answered and earlier after-phases run.
		ex.Fail(Errorf(500, "the request failed choosing a partition of stage %s", r.stage))
		ex.itinerary.back(ex)
		return
	}
	i := maphash.String(r.seed, key) % uint64(len(r.pids))
	r.root.Send(r.pids[i], ex)
}

func (r *partitioned) safeKey(ex *Exchange) (key string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return r.key(ex), true
}

// idleFirst sends to an idle actor when there is one, else to the least
// loaded. load[i] counts the exchanges told to actor i and not yet done
// with; the actor decrements it. Claiming an idle actor with a
// compare-and-swap means two senders never pick the same idle actor, so a
// pool of n actors really runs n exchanges at once before any queues.
type idleFirst struct {
	routees
	load []atomic.Int32
	next atomic.Uint32
}

func (r *idleFirst) tell(ex *Exchange) {
	n := uint32(len(r.pids))
	start := r.next.Add(1)
	for k := range n {
		i := (start + k) % n
		if r.load[i].CompareAndSwap(0, 1) {
			r.root.Send(r.pids[i], ex)
			return
		}
	}
	best := start % n
	for k := range n {
		i := (start + k) % n
		if r.load[i].Load() < r.load[best].Load() {
			best = i
		}
	}
	r.load[best].Add(1)
	r.root.Send(r.pids[best], ex)
}
