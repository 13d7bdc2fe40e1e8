package config

import (
	"sync/atomic"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logSink is the core behind the loggers that Options.Logger hands to stage
// kinds. The file that declares the stages also configures logging, so the
// app's logger does not exist yet when they are built; Build points the
// sink at it. Until then (and for a Config never built) it discards.
type logSink struct {
	core atomic.Pointer[zapcore.Core]
}

func (s *logSink) set(c zapcore.Core) { s.core.Store(&c) }

func (s *logSink) current() zapcore.Core {
	if c := s.core.Load(); c != nil {
		return *c
	}
	return zapcore.NewNopCore()
}

// logger returns a logger that writes wherever the sink points at the time
// of each entry.
func (s *logSink) logger() *zap.Logger { return zap.New(sinkCore{sink: s}) }

// sinkCore is a zapcore.Core that forwards to the sink's current core,
// carrying its own fields.
type sinkCore struct {
	sink   *logSink
	fields []zapcore.Field
}

func (c sinkCore) Enabled(l zapcore.Level) bool { return c.sink.current().Enabled(l) }

func (c sinkCore) With(f []zapcore.Field) zapcore.Core {
	return sinkCore{sink: c.sink, fields: append(append([]zapcore.Field(nil), c.fields...), f...)}
}

func (c sinkCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c sinkCore) Write(e zapcore.Entry, f []zapcore.Field) error {
	core := c.sink.current()
	if len(c.fields) > 0 {
		core = core.With(c.fields)
	}
	return core.Write(e, f)
}

func (c sinkCore) Sync() error { return c.sink.current().Sync() }
