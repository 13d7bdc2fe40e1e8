// Package loglimit bounds how many lines a logger writes a second, so that
// what a client can trigger for every request (a refused connection, a
// failing stage, a panic) cannot flood the log: the lines past the budget
// are counted, and the next line let through says how many.
package loglimit

import (
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// lineBucket is a token bucket for log lines: perSecond lines a second, in
// bursts of up to perSecond, and a count of the lines it refused since the
// last one it let through.
type lineBucket struct {
	mu         sync.Mutex
	now        func() time.Time
	perSecond  float64
	tokens     float64
	last       time.Time
	suppressed int
}

func newLineBucket(perSecond int, now func() time.Time) *lineBucket {
	perSecond = max(perSecond, 1)
	return &lineBucket{now: now, perSecond: float64(perSecond), tokens: float64(perSecond), last: now()}
}

// take reports whether a line may be written now and, if so, how many were
// refused before it.
func (b *lineBucket) take() (ok bool, suppressed int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if dt := now.Sub(b.last); dt > 0 {
		b.tokens = min(b.perSecond, b.tokens+dt.Seconds()*b.perSecond)
		b.last = now
	}
	if b.tokens < 1 {
		b.suppressed++
		return false, 0
	}
	b.tokens--
	suppressed, b.suppressed = b.suppressed, 0
	return true, suppressed
}

// limitedCore is a zapcore.Core that writes at most what its bucket allows;
// the first line through after some were dropped carries their count, as
// the field "suppressed".
type limitedCore struct {
	zapcore.Core
	bucket *lineBucket
}

// With implements zapcore.Core.
func (c *limitedCore) With(fields []zapcore.Field) zapcore.Core {
	return &limitedCore{Core: c.Core.With(fields), bucket: c.bucket}
}

// Check implements zapcore.Core.
func (c *limitedCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if !c.Enabled(ent.Level) {
		return ce
	}
	ok, suppressed := c.bucket.take()
	if !ok {
		return ce
	}
	if suppressed > 0 {
		return ce.AddCore(ent, c.Core.With([]zapcore.Field{zap.Int("suppressed", suppressed)}))
	}
	return ce.AddCore(ent, c.Core)
}

// RateLimited returns log writing at most perSecond lines a second, bursts
// included; now is the clock. The first line through after some were
// dropped carries their count as the field "suppressed".
func RateLimited(log *zap.Logger, perSecond int, now func() time.Time) *zap.Logger {
	b := newLineBucket(perSecond, now)
	return log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return &limitedCore{Core: c, bucket: b} }))
}
