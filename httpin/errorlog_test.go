package httpin

import (
	"github.com/troupe-go/troupe/internal/loglimit"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestRateLimitedLog(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	core, logs := observer.New(zap.DebugLevel)
	log := loglimit.RateLimited(zap.New(core), 10, c.now)
	for range 25 { // a burst: 10 through, 15 dropped
		log.Warn("x")
	}
	if n := logs.Len(); n != 10 {
		t.Fatalf("%d lines of a burst of 25 written, want 10", n)
	}
	c.advance(time.Second) // 10 more allowed
	log.Warn("y")
	last := logs.All()[logs.Len()-1]
	if got := last.ContextMap()["suppressed"]; got != int64(15) {
		t.Errorf("line after the burst has suppressed=%v, want 15", got)
	}
	for range 20 {
		log.Warn("z")
	}
	if n := logs.FilterMessage("z").Len(); n != 9 {
		t.Errorf("%d lines written a second later, want the 9 left of 10", n)
	}
	c.advance(100 * time.Millisecond) // one more
	log.With(zap.String("k", "v")).Warn("w")
	if n := logs.FilterMessage("w").Len(); n != 1 {
		t.Errorf("%d lines after 100 ms, want 1", n)
	}
	log.Debug("below") // disabled levels never take from the bucket
}

// net/http's error lines reach the log at Warn, at most
// ErrorLogLinesPerSecond a second; before, they were written at Info and
// filtered out at Warn: none reached the log.
func TestNewErrorLog(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	start := time.Now()
	std, err := NewErrorLog(zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		std.Print("http: Accept error: too many open files; retrying in 5ms")
	}
	allowed := ErrorLogLinesPerSecond + int(time.Since(start).Seconds()*ErrorLogLinesPerSecond) + 1
	if n := logs.Len(); n < ErrorLogLinesPerSecond || n > allowed {
		t.Errorf("%d of 100 lines written, want between %d and %d", n, ErrorLogLinesPerSecond, allowed)
	}
	for _, l := range logs.All() {
		if l.Level != zapcore.WarnLevel || l.Message != "http: Accept error: too many open files; retrying in 5ms" {
			t.Errorf("logged %s %q", l.Level, l.Message)
		}
	}
}
