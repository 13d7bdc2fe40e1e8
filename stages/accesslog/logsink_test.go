package accesslog_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// sink collects log output; safe for concurrent use.
type sink struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.buf.Write(p)
}

func (s *sink) Sync() error { return nil }

// logger returns a production-style JSON logger writing to s.
func (s *sink) logger() *zap.Logger {
	return zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), s, zap.InfoLevel))
}

// lines returns the output's lines, failing the test if any is not a
// JSON object.
func (s *sink) lines(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	text := s.buf.String()
	s.mu.Unlock()
	var out []map[string]any
	for line := range strings.Lines(text) {
		if !strings.HasSuffix(line, "\n") {
			t.Errorf("log ends in a partial line %q", line)
		}
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not valid JSON: %q", line)
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("log line %q: %v", line, err)
			continue
		}
		out = append(out, m)
	}
	return out
}

// await returns the lines once ok holds for them, waiting for writes (up
// to 10s) rather than sleeping.
func (s *sink) await(t *testing.T, ok func([]map[string]any) bool) []map[string]any {
	t.Helper()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		s.mu.Lock()
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed
		s.mu.Unlock()
		if lines := s.lines(t); ok(lines) {
			return lines
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("log lines never came; have %v", s.lines(t))
		}
	}
}
