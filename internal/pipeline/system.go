package pipeline

import (
	"context"
	"log/slog"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"
)

// System is troupe's actor system: a Proto.Actor system whose own logging
// goes to zap at Warn and above, plus the settings stage actors are spawned
// with. It is safe for concurrent use.
type System struct {
	sys        *actor.ActorSystem
	log        *zap.Logger
	throughput int

	stopOnce sync.Once
	stopping chan struct{} // closed by Stop: exchanges waiting on a stage actor stop waiting
}

// NewSystem returns a new actor system logging to log.
func NewSystem(log *zap.Logger) *System {
	s := &System{log: log, throughput: 300, stopping: make(chan struct{})}
	handler := zapslog.NewHandler(warnAndAbove{log.Core()}, zapslog.WithName("protoactor"))
	s.sys = actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(handler) }),
		actor.WithDeadLetterRequestLogging(false),
	)
	return s
}

// Logger returns the system's logger.
func (s *System) Logger() *zap.Logger { return s.log }

// Root returns the root context of s, for spawning top-level actors: the
// supervision tree, the ingress, batchers and upstreams. It is a function
// of this internal package rather than a method so that the public System
// offers no Proto.Actor type.
func Root(s *System) *actor.RootContext { return s.sys.Root }

// Shutdown is Stop with no bound on the wait.
func (s *System) Shutdown() { _ = s.Stop(context.Background()) }

// Stop closes the actor system. Stop the top-level actors first (the
// supervision tree does). Exchanges still waiting on a stage actor then
// stop waiting and are abandoned: a stopped actor's mailbox is dropped.
// Calling it twice is safe; it does not wait, and ctx is for symmetry with
// the other Stop methods.
func (s *System) Stop(context.Context) error {
	s.stopOnce.Do(func() {
		close(s.stopping)
		s.sys.Shutdown()
	})
	return nil
}

// warnAndAbove filters a core down to Warn and above: Proto.Actor logs
// every recovered panic and dead letter at Info.
type warnAndAbove struct{ zapcore.Core }

func (c warnAndAbove) Enabled(l zapcore.Level) bool {
	return l >= zapcore.WarnLevel && c.Core.Enabled(l)
}

func (c warnAndAbove) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if !c.Enabled(e.Level) {
		return ce
	}
	return c.Core.Check(e, ce)
}

func (c warnAndAbove) With(f []zapcore.Field) zapcore.Core { return warnAndAbove{c.Core.With(f)} }
