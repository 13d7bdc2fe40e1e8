package actors

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
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
	pureActors int
	throughput int

	mu      sync.Mutex
	workers []*workers // of the Blocking hops, stopped by Shutdown
}

// SystemOption configures a System.
type SystemOption interface{ apply(*System) }

type systemOptionFunc func(*System)

func (f systemOptionFunc) apply(s *System) { f(s) }

// WithPureActors sets how many actors host each hop of pure stages.
// Defaults to 2 × GOMAXPROCS: enough that senders rarely find the one they
// picked busy.
func WithPureActors(n int) SystemOption {
	return systemOptionFunc(func(s *System) {
		if n > 0 {
			s.pureActors = n
		}
	})
}

// NewSystem returns a new actor system logging to log.
func NewSystem(log *zap.Logger, opts ...SystemOption) *System {
	s := &System{log: log, pureActors: 2 * runtime.GOMAXPROCS(0), throughput: 300}
	for _, o := range opts {
		o.apply(s)
	}
	handler := zapslog.NewHandler(warnAndAbove{log.Core()}, zapslog.WithName("protoactor"))
	s.sys = actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(handler) }),
		actor.WithDeadLetterRequestLogging(false),
	)
	return s
}

// Logger returns the system's logger.
func (s *System) Logger() *zap.Logger { return s.log }

// Root returns the root context, for spawning top-level actors.
func (s *System) Root() *actor.RootContext { return s.sys.Root }

// newWorkers returns a dispatcher for a Blocking hop, which Shutdown stops.
func (s *System) newWorkers() *workers {
	w := newWorkers(s.throughput)
	s.mu.Lock()
	s.workers = append(s.workers, w)
	s.mu.Unlock()
	return w
}

// Shutdown is Stop with no bound on the wait.
func (s *System) Shutdown() { _ = s.Stop(context.Background()) }

// Stop closes the actor system, and ends the goroutines of its Blocking
// hops, waiting for them until ctx ends. Stop the top-level actors first
// (the supervision tree does): a goroutine busy with a stage's work ends
// only when the work does. Calling it twice is safe.
func (s *System) Stop(ctx context.Context) error {
	if !s.sys.IsStopped() {
		s.sys.Shutdown()
	}
	s.mu.Lock()
	ws := s.workers
	s.mu.Unlock()
	for _, w := range ws {
		w.stop()
	}
	for _, w := range ws {
		if err := w.wait(ctx); err != nil {
			return fmt.Errorf("actors: a Blocking stage is still busy at shutdown: %w", err)
		}
	}
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
