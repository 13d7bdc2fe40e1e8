package supervisor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/pipeline"
	"go.uber.org/zap"
)

// Tree is the supervision tree of a pipeline: one stage supervisor actor
// per hop, spawned from the root under a guardian that resumes it (a stage
// supervisor only spawns its children, so a failure there is a bug to log,
// not a reason to lose the hop), and the stage actors below, under Strategy.
// It also holds the Health of every stage.
//
// A Tree is safe for concurrent use. Stop stops every actor it spawned.
type Tree struct {
	sys   *actors.System
	clock Clock
	log   *zap.Logger

	mu          sync.Mutex
	health      map[string]*Health
	order       []string
	hops        []*pipeline.Hop // hops[i] is supervised by supervisors[i]
	supervisors []*actor.PID
	exited      []chan struct{} // exited[i] closes when supervisors[i] and its children have stopped
	guardian    actor.SupervisorStrategy
	stopped     bool
}

// NewTree returns an empty tree spawning into sys. A nil clock means the
// system clock.
func NewTree(sys *actors.System, clock Clock) *Tree {
	if clock == nil {
		clock = SystemClock()
	}
	t := &Tree{sys: sys, clock: clock, log: sys.Logger().Named("supervisor"), health: map[string]*Health{}}
	t.guardian = actor.NewOneForOneStrategy(0, time.Second, func(reason any) actor.Directive {
		t.log.Error("stage supervisor failed; resuming it", zap.String("reason", fmt.Sprint(reason)))
		return actor.ResumeDirective
	})
	return t
}

// Stage registers a stage under policy and returns its Health. A stage
// registered twice keeps its first policy.
func (t *Tree) Stage(name string, policy Policy) *Health {
	t.mu.Lock()
	defer t.mu.Unlock()
	if h, ok := t.health[name]; ok {
		return h
	}
	h := newHealth(name, policy, t.clock)
	t.health[name] = h
	t.order = append(t.order, name)
	return h
}

// Health returns the health of every registered stage, in registration
// order.
func (t *Tree) Health() []*Health {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*Health, len(t.order))
	for i, n := range t.order {
		out[i] = t.health[n]
	}
	return out
}

// Down returns the names of the stages marked down, sorted: critical
// ones and the others.
func (t *Tree) Down() []string {
	var down []string
	for _, h := range t.Health() {
		if h.Down() {
			down = append(down, h.Name())
		}
	}
	slices.Sort(down)
	return down
}

// ErrStopped is returned by Supervise after Stop.
var ErrStopped = errors.New("supervisor: tree stopped")

// Supervise spawns a stage supervisor for hop and, under it, the hop's
// actors. Every stage of the hop must have been registered with Stage.
func (t *Tree) Supervise(hop *pipeline.Hop) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return ErrStopped
	}
	s := &Strategy{health: map[string]*Health{}, log: t.log}
	for _, spec := range hop.Specs() {
		h, ok := t.health[spec.Name]
		if !ok {
			return fmt.Errorf("supervisor: stage %q was not registered", spec.Name)
		}
		s.health[spec.Name] = h
		s.all = append(s.all, h)
	}
	ready, stopped := make(chan error, 1), make(chan struct{})
	props := actor.PropsFromProducer(
		func() actor.Actor { return &stageSupervisor{hop: hop, sys: t.sys, ready: ready, stopped: stopped} },
		actor.WithSupervisor(s),
		actor.WithGuardian(t.guardian),
		actor.WithDispatcher(actor.NewSynchronizedDispatcher(300)),
	)
	pid := pipeline.Root(t.sys).SpawnPrefix(props, "stage:"+hop.Name())
	t.hops = append(t.hops, hop)
	t.supervisors = append(t.supervisors, pid)
	t.exited = append(t.exited, stopped)
	return <-ready // the synchronized dispatcher has run Started by now
}

// Stop stops every stage supervisor and so every stage actor, and cancels
// pending reopens. It waits for the actors until ctx ends, and then returns
// ctx's error rather than hang; it starts no goroutine of its own. Call it
// once no exchange is in flight; it is safe to call twice.
func (t *Tree) Stop(ctx context.Context) error {
	t.mu.Lock()
	sups, exited := t.supervisors, t.exited
	t.hops, t.supervisors, t.exited, t.stopped = nil, nil, nil, true
	t.mu.Unlock()
	for _, h := range t.Health() {
		h.stop()
	}
	for _, pid := range sups {
		pipeline.Root(t.sys).Stop(pid) // a stage supervisor stops its children first, then itself
	}
	for i, done := range exited {
		select {
		case <-done:
		case <-ctx.Done():
			return fmt.Errorf("supervisor: stopping stage actors (%s and %d more): %w", sups[i].Id, len(sups)-i-1, ctx.Err())
		}
	}
	return nil
}

// Release stops hop's stage supervisor, and so its actors, leaving the
// others running: for a hop no request can reach any more (an app's
// routes changed while it runs). It waits for the actors until ctx ends,
// and then returns ctx's error. A hop the tree does not supervise is
// nothing to release. The health of its stages stays: a stage of the same
// name may run in another hop.
func (t *Tree) Release(ctx context.Context, hop *pipeline.Hop) error {
	t.mu.Lock()
	i := slices.Index(t.hops, hop)
	if i < 0 {
		t.mu.Unlock()
		return nil
	}
	pid, done := t.supervisors[i], t.exited[i]
	t.hops = slices.Delete(t.hops, i, i+1)
	t.supervisors = slices.Delete(t.supervisors, i, i+1)
	t.exited = slices.Delete(t.exited, i, i+1)
	t.mu.Unlock()
	pipeline.Root(t.sys).Stop(pid)
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("supervisor: releasing %s: %w", hop.Name(), ctx.Err())
	}
}

// stageSupervisor is the parent of one hop's actors. On start it spawns
// them; restarts are the Strategy's business.
type stageSupervisor struct {
	hop     *pipeline.Hop
	sys     *actors.System
	ready   chan error    // receives Spawn's outcome, once; buffered so the actor never waits
	stopped chan struct{} // closed once the actor has stopped, after its children
	once    sync.Once
	stop    sync.Once
}

// Receive implements actor.Actor.
func (s *stageSupervisor) Receive(c actor.Context) {
	switch c.Message().(type) {
	case *actor.Started:
		s.once.Do(func() { s.ready <- s.spawn(c) })
	case *actor.Stopped: // Proto.Actor stops the children first
		s.stop.Do(func() { close(s.stopped) })
	}
}

// spawn starts the hop's actors; a stage constructor that panics is an
// error for Supervise to return, not a hang.
func (s *stageSupervisor) spawn(c actor.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("supervisor: starting %s: %v", s.hop.Name(), r)
		}
	}()
	s.hop.Spawn(c, s.sys)
	return nil
}
