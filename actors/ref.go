package actors

import (
	"hash/maphash"
	"math/rand/v2"
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
	seed maphash.Seed
	key  func(ex *Exchange) string
}

func (r *partitioned) tell(ex *Exchange) {
	i := maphash.String(r.seed, r.key(ex)) % uint64(len(r.pids))
	r.root.Send(r.pids[i], ex)
}

// leastQueued sends to the less loaded of two actors picked at random
// ("the power of two choices"): cheap, and it keeps an exchange from
// queueing behind a slow one when an idle actor exists.
type leastQueued struct {
	routees
}

func (r *leastQueued) tell(ex *Exchange) {
	n := uint32(len(r.pids))
	i := rand.Uint32N(n)
	if n > 1 {
		j := rand.Uint32N(n - 1)
		if j >= i {
			j++
		}
		if r.mailboxes[j].UserMessageCount() < r.mailboxes[i].UserMessageCount() {
			i = j
		}
	}
	r.root.Send(r.pids[i], ex)
}
