package actors

import (
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
)

// Hop is one stop of an itinerary: a pool of actors that host one stage, or
// several adjacent pure stages fused together. The planner builds hops; a
// supervisor spawns their actors as its children (Spawn). A hop may be
// shared by many itineraries.
type Hop struct {
	name     string
	kind     Kind
	specs    []*Spec
	gates    []*Gate
	hasAfter bool
	ref      ref
	log      *zap.Logger // set by Spawn
}

// NewHop returns a hop hosting specs, each guarded by the gate at the same
// index. Several specs fuse into one hop only if all are Pure.
func NewHop(specs []*Spec, gates []*Gate) (*Hop, error) {
	if len(specs) == 0 || len(specs) != len(gates) {
		return nil, errors.New("actors: a hop needs one gate per stage and at least one stage")
	}
	names := make([]string, len(specs))
	h := &Hop{kind: specs[0].Kind, specs: specs, gates: gates}
	for i, s := range specs {
		if err := s.Validate(); err != nil {
			return nil, err
		}
		if len(specs) > 1 && s.Kind != Pure {
			return nil, fmt.Errorf("actors: stage %q is %s; only pure stages fuse", s.Name, s.Kind)
		}
		names[i] = s.Name
		after, err := s.hasAfter()
		if err != nil {
			return nil, err
		}
		h.hasAfter = h.hasAfter || after
	}
	h.name = strings.Join(names, "+")
	return h, nil
}

// Name returns the names of the hop's stages joined by "+".
func (h *Hop) Name() string { return h.name }

// Kind returns the kind of the hop's stages.
func (h *Hop) Kind() Kind { return h.kind }

// Specs returns the hop's stages, in order. The slice must not be changed.
func (h *Hop) Specs() []*Spec { return h.specs }

// Gates returns the gates of the hop's stages, in order.
func (h *Hop) Gates() []*Gate { return h.gates }

// Queued returns the number of exchanges waiting in the hop's mailboxes, or
// 0 before Spawn.
func (h *Hop) Queued() int {
	if h.ref == nil {
		return 0
	}
	return h.ref.queued()
}

// Spawn starts the hop's actors as children of parent, the hop's
// supervisor. It must be called once, before the hop carries exchanges.
func (h *Hop) Spawn(parent actor.SpawnerContext, sys *System) {
	n, dispatcher := 1, actor.NewSynchronizedDispatcher(sys.throughput)
	switch h.kind {
	case Pure:
		n = sys.pureActors
	case Stateful:
		n = max(h.specs[0].Partitions, 1)
	case Blocking:
		n = h.specs[0].Concurrency
		if n == 0 {
			n = DefaultConcurrency
		}
		dispatcher = sys.newWorkers()
	}
	r := routees{root: sys.sys.Root, pids: make([]*actor.PID, n), mailboxes: make([]actor.Mailbox, n)}
	var load []atomic.Int32
	if h.kind == Blocking {
		load = make([]atomic.Int32, n)
	}
	log := sys.log.With(zap.String("stage", h.name))
	h.log = log
	for i := range n {
		var slot *atomic.Int32
		if load != nil {
			slot = &load[i]
		}
		props := actor.PropsFromProducer(
			func() actor.Actor { return newStageActor(h, log, slot) },
			actor.WithDispatcher(dispatcher),
			actor.WithMailbox(func() actor.Mailbox {
				mb := actor.Unbounded()()
				r.mailboxes[i] = mb
				return mb
			}),
		)
		r.pids[i] = parent.SpawnPrefix(props, h.name)
	}
	switch {
	case h.kind == Blocking:
		h.ref = &idleFirst{routees: r, load: load}
	case h.kind == Stateful && n > 1:
		h.ref = &partitioned{routees: r, seed: maphash.MakeSeed(), key: h.specs[0].PartitionKey, stage: h.name}
	default:
		h.ref = &roundRobin{routees: r}
	}
}
