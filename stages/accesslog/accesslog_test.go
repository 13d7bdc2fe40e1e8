package accesslog_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"unicode"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/accesslog"
	"github.com/troupe-go/troupe/stages/clientip"
	"github.com/troupe-go/troupe/stagetest"
	"go.uber.org/zap"
)

// newSpec returns an access-log stage writing to log.
func newSpec(t *testing.T, log *zap.Logger) *actors.Spec {
	t.Helper()
	spec, err := accesslog.New("access-log", accesslog.Config{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// One line per request, with its fields, whatever the response.
func TestLine(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		target     string // with a query, which is not logged
		handler    func(ex *actors.Exchange) error
		wantStatus float64
		wantBytes  float64
	}{
		{"ok", "GET", "/items/7?token=secret", func(ex *actors.Exchange) error {
			ex.Respond(http.StatusOK, "text/plain", []byte("hello"))
			return nil
		}, 200, 5},
		{"status left at zero", "GET", "/items/7", func(*actors.Exchange) error { return nil }, 200, 0},
		{"error", "POST", "/items/7", func(*actors.Exchange) error { return actors.NewError(http.StatusConflict, "taken") }, 409, -1},
		{"created", "PUT", "/items/7", func(ex *actors.Exchange) error {
			ex.Respond(http.StatusCreated, "", nil)
			return nil
		}, 201, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out sink
			r := httptest.NewRequest(tt.method, tt.target, nil)
			r.RemoteAddr = "192.0.2.1:5555"
			r.Header.Set("User-Agent", "test-agent/1.0")
			res := stagetest.RunSpec(t, newSpec(t, out.logger()), r, stagetest.WithHandler(tt.handler), stagetest.WithRequestID("rid-7"),
				stagetest.WithSetup(func(ex *actors.Exchange) { ex.Route = "/items/{id}" }))
			lines := out.lines(t)
			if len(lines) != 1 {
				t.Fatalf("%d lines, want 1", len(lines))
			}
			l := lines[0]
			want := map[string]any{
				"msg": "request", "level": "info", "request_id": "rid-7", "method": tt.method, "route": "/items/{id}",
				"path": "/items/7", "status": tt.wantStatus, "client_ip": "192.0.2.1", "user_agent": "test-agent/1.0",
			}
			if tt.wantBytes >= 0 {
				want["bytes"] = tt.wantBytes
			} else {
				want["bytes"] = float64(len(res.Body)) // the problem document
			}
			for k, w := range want {
				if l[k] != w {
					t.Errorf("%s = %v, want %v", k, l[k], w)
				}
			}
			if d, ok := l["duration"].(float64); !ok || d < 0 {
				t.Errorf("duration = %v, want a non-negative number", l["duration"])
			}
		})
	}
}

// The address the clientip stage worked out is the one logged.
func TestClientIPFromStage(t *testing.T) {
	var out sink
	cip, err := clientip.New("client-ip", clientip.Config{TrustedProxies: []string{"10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:4444"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	stagetest.RunSpec(t, newSpec(t, out.logger()), r, stagetest.WithSetup(func(ex *actors.Exchange) {
		if err := cip.Stage.Process(ex); err != nil {
			t.Fatal(err)
		}
		if got := clientip.From(ex); got != netip.MustParseAddr("203.0.113.9") {
			t.Fatalf("clientip.From = %v", got)
		}
	}))
	if lines := out.lines(t); len(lines) != 1 || lines[0]["client_ip"] != "203.0.113.9" {
		t.Errorf("lines %v, want one with client_ip 203.0.113.9", lines)
	}
}

// Hostile strings from the client (which a stage sees raw, whatever the
// HTTP parser in front of it allows) give one valid JSON line each, and
// the decoded values hold no control or line-breaking characters.
func TestHostileStrings(t *testing.T) {
	hostile := []string{
		"a\nb", "a\r\nb", "a\rb", "x\n{\"level\":\"info\",\"msg\":\"request\",\"status\":200}",
		"a\u2028b", "a\u2029b", "a\u0085b", `quote " and \ backslash`, "invalid \xff\xfe utf-8 \xc3",
		"bidi \u202e reversed", "nul \x00 esc \x1b[2J", "del \x7f",
	}
	var out sink
	stage := newSpec(t, out.logger()).Stage
	for _, s := range hostile {
		r := httptest.NewRequest("GET", "/", nil)
		r.Method = "GET\n" + s
		r.URL.Path = "/p/" + s
		r.Header["User-Agent"] = []string{s}
		stagetest.Run(t, stage, r, stagetest.WithRequestID("id "+s))
	}
	lines := out.lines(t)
	if len(lines) != len(hostile) {
		t.Fatalf("%d lines for %d requests, want one each", len(lines), len(hostile))
	}
	for i, l := range lines {
		for _, k := range []string{"method", "path", "user_agent", "request_id"} {
			v, _ := l[k].(string)
			if strings.ContainsFunc(v, func(r rune) bool { return r == unicode.ReplacementChar || !unicode.IsPrint(r) && r != ' ' }) {
				t.Errorf("request %d: %s = %q holds unprintable characters once decoded", i, k, v)
			}
		}
	}
}

// A logger whose level leaves Info out logs nothing, and the stage does
// not fail.
func TestQuiet(t *testing.T) {
	var out sink
	stagetest.RunSpec(t, newSpec(t, out.logger().WithOptions(zap.IncreaseLevel(zap.WarnLevel))), httptest.NewRequest("GET", "/", nil))
	if lines := out.lines(t); len(lines) != 0 {
		t.Errorf("%d lines at level warn, want none", len(lines))
	}
}
