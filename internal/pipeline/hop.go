package pipeline

import (
	"errors"
	"fmt"
	"github.com/troupe-go/troupe/internal/loglimit"
	"github.com/troupe-go/troupe/internal/tracing"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
)

// Hop is one stop of an itinerary: one Stateful stage, hosted by the
// actors that own its state, or several adjacent stateless stages, which
// run on the request's own goroutine under the supervision of the hop's
// actor. The planner builds hops; a supervisor spawns their actors as its
// children (Spawn). A hop may be shared by many itineraries.
type Hop struct {
	name     string
	kind     Kind // Stateful, or Stateless for a hop of stateless stages
	specs    []*Spec
	gates    []*Gate
	limits   []*limit // limits[i] caps stage i's concurrency, or is nil
	hasAfter bool
	span     *tracing.Hop // what the hop's span says

	// Set by Spawn.
	root      *actor.RootContext
	sentinel  *actor.PID    // a stateless hop's supervised actor, told of panics
	actors    *routees      // a Stateful hop's actors
	partition *maphash.Seed // for a partitioned Stateful hop
	log       *zap.Logger
	stopped   <-chan struct{} // closed when the actor system stops
}

// NewHop returns a hop hosting specs, each guarded by the gate at the same
// index. Several specs share a hop only if none is Stateful.
func NewHop(specs []*Spec, gates []*Gate) (*Hop, error) {
	if len(specs) == 0 || len(specs) != len(gates) {
		return nil, errors.New("pipeline: a hop needs one gate per stage and at least one stage")
	}
	names := make([]string, len(specs))
	h := &Hop{kind: Stateless, specs: specs, gates: gates, limits: make([]*limit, len(specs))}
	for i, s := range specs {
		if err := s.Validate(); err != nil {
			return nil, err
		}
		if s.Kind == Stateful {
			if len(specs) > 1 {
				return nil, fmt.Errorf("pipeline: stage %q is stateful: it needs a hop of its own", s.Name)
			}
			h.kind = Stateful
		} else if s.Concurrency > 0 {
			if s.limit == nil { // one cap per stage, whatever hops it is in
				s.limit = newLimit(s.Concurrency)
			}
			h.limits[i] = s.limit
		}
		names[i] = s.Name
		after, err := s.hasAfter()
		if err != nil {
			return nil, err
		}
		h.hasAfter = h.hasAfter || after
	}
	h.name = strings.Join(names, "+")
	waits := h.kind == Stateful || slices.ContainsFunc(h.limits, func(l *limit) bool { return l != nil })
	h.span = tracing.NewHop(h.name, names, h.kind == Stateful, waits)
	return h, nil
}

// Name returns the names of the hop's stages joined by "+".
func (h *Hop) Name() string { return h.name }

// Kind returns Stateful for a hop hosting a stateful stage, Stateless for a hop
// of stateless stages.
func (h *Hop) Kind() Kind { return h.kind }

// Specs returns the hop's stages, in order. The slice must not be changed.
func (h *Hop) Specs() []*Spec { return h.specs }

// Gates returns the gates of the hop's stages, in order.
func (h *Hop) Gates() []*Gate { return h.gates }

// Queued returns the number of exchanges waiting in a Stateful hop's
// mailboxes; 0 for a stateless hop, whose waits are its stages' (see
// Spec.Load).
func (h *Hop) Queued() int {
	if h.actors == nil {
		return 0
	}
	return h.actors.queued()
}

// Spawn starts the hop's actors as children of parent, the hop's
// supervisor: the Stateful stage's actors, or the one supervised actor of
// a stateless hop. It must be called once, before the hop carries
// exchanges.
func (h *Hop) Spawn(parent actor.SpawnerContext, sys *System) {
	h.root, h.stopped = sys.sys.Root, sys.stopping
	// Bounded: a stage that fails or panics on every request must not
	// flood the log (see causeLinesPerSecond).
	h.log = loglimit.RateLimited(sys.log.With(zap.String("stage", h.name)), causeLinesPerSecond, time.Now)
	dispatcher := actor.NewSynchronizedDispatcher(sys.throughput)
	if h.kind != Stateful {
		props := actor.PropsFromProducer(func() actor.Actor { return sentinel{} }, actor.WithDispatcher(dispatcher))
		h.sentinel = parent.SpawnPrefix(props, h.name)
		return
	}
	n := max(h.specs[0].Partitions, 1)
	r := &routees{pids: make([]*actor.PID, n), mailboxes: make([]actor.Mailbox, n)}
	for i := range n {
		props := actor.PropsFromProducer(
			func() actor.Actor { return newStageActor(h) },
			actor.WithDispatcher(dispatcher),
			actor.WithMailbox(func() actor.Mailbox {
				mb := actor.Unbounded()()
				r.mailboxes[i] = mb
				return mb
			}),
		)
		r.pids[i] = parent.SpawnPrefix(props, h.name)
	}
	h.actors = r
	if n > 1 {
		seed := maphash.MakeSeed()
		h.partition = &seed
	}
}

// visit hands ex to the Stateful hop's actor and waits for it to be handed
// back: the actor runs the stage's Process (or, with ex.returning, its
// after-phase) and sets ex.completed. The wait is short: stateful stages
// do not block. It ends early only if the actor system stops, which drops
// the actors' mailboxes; the exchange is then abandoned.
func (h *Hop) visit(ex *Exchange) {
	pid, ok := h.pick(ex)
	if !ok {
		return
	}
	if ex.wake == nil {
		ex.wake = wakes.Get().(chan struct{})
	}
	if ex.trace != nil {
		ex.trace.Sent()
	}
	h.root.Send(pid, ex)
	select {
	case <-ex.wake:
	case <-h.stopped:
		ex.completed = 0
		ex.abandon()
		ex.wakeLost = true // the actor may still hand it back
	}
}

// wakes are the channels on which Stateful actors hand exchanges back, one
// hand-back at a time each, reused once the exchange they served is done
// with them (an empty channel no actor will send on).
var wakes = sync.Pool{New: func() any { return make(chan struct{}, 1) }}

// pick returns the actor ex goes to. A partition key function that panics
// fails the exchange (500), on the request's goroutine.
func (h *Hop) pick(ex *Exchange) (pid *actor.PID, ok bool) {
	pids := h.actors.pids
	if h.partition == nil {
		return pids[0], true
	}
	defer func() {
		if r := recover(); r != nil {
			h.reportPanic(ex, 0, r, true)
			ex.completed = 0
			ok = false
		}
	}()
	key := h.specs[0].PartitionKey(ex)
	return pids[maphash.String(*h.partition, key)%uint64(len(pids))], true
}

// sentinel is the supervised actor of a hop of stateless stages. Those
// stages run on the requests' own goroutines; when one panics, the
// exchange is answered there and the panic is sent here, and the sentinel
// panics with it, so that the hop's supervisor charges the stage and
// restarts the sentinel, as it would any stage actor.
type sentinel struct{}

// Receive implements actor.Actor.
func (sentinel) Receive(c actor.Context) {
	if p, ok := c.Message().(*StagePanic); ok {
		panic(p)
	}
}

// routees are the actors of a Stateful hop, with their mailboxes for queue
// depth.
type routees struct {
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
