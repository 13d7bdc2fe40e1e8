package cluster

import (
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/troupe-go/troupe/internal/loglimit"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"
)

// eventSubscription is a subscription to an actor system's topology
// events.
type eventSubscription struct {
	es  *eventstream.EventStream
	sub *eventstream.Subscription
}

// subscribe calls f with every cluster topology that sys publishes.
func subscribe(sys *actor.ActorSystem, f func(*cluster.ClusterTopology)) *eventSubscription {
	sub := sys.EventStream.Subscribe(func(evt any) {
		if t, ok := evt.(*cluster.ClusterTopology); ok {
			f(t)
		}
	})
	return &eventSubscription{es: sys.EventStream, sub: sub}
}

func (s *eventSubscription) stop() { s.es.Unsubscribe(s.sub) }

// newSlog returns the logger of the cluster's actor system: zap, at Warn
// and above (Proto.Actor logs gossip and every topology change at Info),
// at most 10 lines a second (a member that left is reported on every
// call until the topology catches up).
func newSlog(log *zap.Logger) *slog.Logger {
	limited := loglimit.RateLimited(log, 10, time.Now)
	// No stack traces: Proto.Actor logs a member that left as an error on
	// every poll, and the stack says nothing the message does not.
	return slog.New(zapslog.NewHandler(warnAndAbove{limited.Core()}, zapslog.WithName("cluster"),
		zapslog.AddStacktraceAt(slog.LevelError+1000)))
}

// warnAndAbove is a zap core that drops entries below Warn.
type warnAndAbove struct{ zapcore.Core }

func (c warnAndAbove) Enabled(l zapcore.Level) bool {
	return l >= zapcore.WarnLevel && c.Core.Enabled(l)
}

func (c warnAndAbove) With(fields []zapcore.Field) zapcore.Core {
	return warnAndAbove{c.Core.With(fields)}
}

func (c warnAndAbove) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if !c.Enabled(e.Level) {
		return ce
	}
	return c.Core.Check(e, ce)
}
