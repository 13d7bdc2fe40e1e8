package upstream

import (
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/troupe-go/troupe/supervisor"
	"go.uber.org/zap"
)

// message is what an upstream's actor receives: a sealed set.
type message interface{ isKeeperMessage() }

// admitMsg asks for an attempt; the answer comes on reply.
type admitMsg struct {
	first     bool
	clustered bool           // a cluster-wide breaker admitted it: the local one is not asked
	reply     chan admission // capacity 1: the actor never waits to answer
}

// reportMsg reports an attempt. With wantRetry, the actor answers on reply
// whether the retry may go; without, nobody waits and the actor recycles
// the message.
type reportMsg struct {
	ticket    ticket
	result    result
	outcome   outcome
	wantRetry bool
	reply     chan bool // capacity 1
}

// statusMsg asks for a snapshot.
type statusMsg struct {
	reply chan Status // capacity 1
}

// checkMsg reports an active health check.
type checkMsg struct {
	target int
	ok     bool
}

func (*admitMsg) isKeeperMessage()  {}
func (*reportMsg) isKeeperMessage() {}
func (*statusMsg) isKeeperMessage() {}
func (checkMsg) isKeeperMessage()   {}

// pools hold the messages of every attempt, which would otherwise cost two
// allocations and two channels an attempt. Each upstream has its own (a
// channel made in a testing/synctest bubble must not leave it).
type pools struct {
	admits  sync.Pool
	reports sync.Pool
}

func newPools() *pools {
	p := &pools{}
	p.admits.New = func() any { return &admitMsg{reply: make(chan admission, 1)} }
	p.reports.New = func() any { return &reportMsg{reply: make(chan bool, 1)} }
	return p
}

// keeperActor is the actor that owns an upstream's keeper: every decision
// about the upstream's breaker, budget and targets is taken on its turn,
// one at a time. It runs on Proto.Actor's synchronized dispatcher, so a
// message is handled on the goroutine that sent it when the actor is idle
// (no goroutine handoff); a sender that finds it busy leaves the message to
// the goroutine running it and waits for the answer.
type keeperActor struct {
	k      *keeper
	pools  *pools
	log    *zap.Logger
	health *supervisor.Health // told of a panic; nil outside an app
}

// Receive implements actor.Actor.
func (a *keeperActor) Receive(c actor.Context) {
	if m, ok := c.Message().(message); ok {
		a.handle(m)
	}
}

// handle handles one message. A panic in the keeper (a bug) is logged and
// answered as a refusal, so that no caller waits forever; the actor goes on
// with its state as it is.
func (a *keeperActor) handle(m message) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("upstream actor panicked", zap.String("upstream", a.k.name),
				zap.String("panic", fmt.Sprint(r)), zap.ByteString("stack", debug.Stack()))
			if a.health != nil {
				a.health.Failed()
			}
			switch m := m.(type) {
			case *admitMsg:
				m.reply <- admission{reject: rejectOpen}
			case *reportMsg:
				if m.wantRetry {
					m.reply <- false
				}
			case *statusMsg:
				m.reply <- Status{Name: a.k.name}
			}
		}
	}()
	switch m := m.(type) {
	case *admitMsg:
		m.reply <- a.k.admitWith(m.first, m.clustered)
	case *reportMsg:
		retry := a.k.report(m.ticket, m.result, m.outcome, m.wantRetry)
		if m.wantRetry {
			m.reply <- retry
			return
		}
		*m = reportMsg{reply: m.reply}
		a.pools.reports.Put(m)
	case *statusMsg:
		m.reply <- a.k.status()
	case checkMsg:
		a.k.checked(m.target, m.ok)
	}
}

// spawn starts the actor that owns k.
func spawn(root *actor.RootContext, k *keeper, p *pools, log *zap.Logger, health *supervisor.Health) *actor.PID {
	props := actor.PropsFromProducer(func() actor.Actor { return &keeperActor{k: k, pools: p, log: log, health: health} },
		actor.WithDispatcher(actor.NewSynchronizedDispatcher(300)))
	return root.Spawn(props)
}
