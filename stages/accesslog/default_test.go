package accesslog

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/troupe-go/troupe/stagetest"
	"go.uber.org/zap/zapcore"
)

// A stage given no logger writes its lines as JSON, one per request,
// named "access", at Info: the logger stderrLogger makes, here on a
// buffer instead of the standard error.
func TestDefaultLogger(t *testing.T) {
	var buf bytes.Buffer
	st := stage{log: stderrLogger(zapcore.AddSync(&buf))}
	for range 150 {
		stagetest.Run(t, st, httptest.NewRequest(http.MethodGet, "/items/7", nil))
	}
	lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
	if len(lines) != 150 {
		t.Fatalf("%d lines for 150 requests, want 150 (none sampled away, as zap's production sampler would past 100): %s", len(lines), buf.Bytes())
	}
	for _, l := range lines {
		var got map[string]any
		if err := json.Unmarshal(l, &got); err != nil {
			t.Fatalf("line %s: %v", l, err)
		}
		if got["level"] != "info" || got["logger"] != "access" || got["msg"] != "request" || got["path"] != "/items/7" {
			t.Errorf("line %s: want level info, logger access, msg request, path /items/7", l)
		}
	}
}

// New without a logger builds a stage that logs (to the standard error),
// rather than one that silently discards.
func TestNewWithoutLogger(t *testing.T) {
	spec, err := New("access-log", Config{})
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := spec.Stage.(stage); !ok || !st.log.Core().Enabled(zapcore.InfoLevel) {
		t.Errorf("New(Config{}) = stage %T that does not log at Info", spec.Stage)
	}
}
