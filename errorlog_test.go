package troupe_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// Every 5xx whose cause the client is not told is logged once, with the
// request id the client's problem document carries; errors that say it all
// to the client (a 404, a deliberate 503) are not.
func TestServerErrorsLogTheirCause(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantLog   bool
		wantInLog string
	}{
		{name: "a handler's own error", err: errors.New("the database broke"), wantLog: true, wantInLog: "the database broke"},
		{name: "an *Error wrapping a cause", err: &actors.Error{Status: http.StatusBadGateway, Detail: "the upstream failed", Err: errors.New("connection reset")}, wantLog: true, wantInLog: "connection reset"},
		{name: "a deliberate 503", err: actors.NewError(http.StatusServiceUnavailable, "busy"), wantLog: false},
		{name: "a client error", err: actors.NewError(http.StatusNotFound, "no such item"), wantLog: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zap.ErrorLevel)
			s := start(t, troupe.Config{}, func(app *troupe.App) {
				app.GET("/x", func(*actors.Exchange) error { return tt.err })
			}, troupe.WithLogger(zap.New(core)))
			r := s.do(t, "GET", "/x", "")
			id := r.header.Get("X-Request-ID")
			if strings.Contains(r.body, "database") || strings.Contains(r.body, "reset") {
				t.Errorf("the body %s shows the cause to the client", r.body)
			}
			lines := logs.FilterMessage("request failed").All()
			if !tt.wantLog {
				if len(lines) != 0 {
					t.Errorf("logged %d lines for a %d, want none", len(lines), r.status)
				}
				return
			}
			if len(lines) != 1 {
				t.Fatalf("logged %d lines, want 1", len(lines))
			}
			f := lines[0].ContextMap()
			if f["request_id"] != id || !strings.Contains(f["error"].(string), tt.wantInLog) || f["status"] != int64(r.status) {
				t.Errorf("log line %v, want request_id %s, status %d, error with %q", f, id, r.status, tt.wantInLog)
			}
		})
	}
}
