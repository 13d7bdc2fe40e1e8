package flakyupstream

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func newHandler(t *testing.T, s Settings, draw float64) *Handler {
	t.Helper()
	h, err := NewHandler(s)
	if err != nil {
		t.Fatal(err)
	}
	h.float = func() float64 { return draw }
	return h
}

func TestHandlerAnswers(t *testing.T) {
	tests := []struct {
		name       string
		give       Settings
		draw       float64
		wantStatus int
	}{
		{name: "healthy", give: Settings{}, draw: 0, wantStatus: 200},
		{name: "always failing", give: Settings{ErrorRate: 1}, draw: 0.999, wantStatus: 503},
		{name: "failing with its status", give: Settings{ErrorRate: 1, Status: 500}, draw: 0.5, wantStatus: 500},
		{name: "draw above the rate", give: Settings{ErrorRate: 0.3}, draw: 0.5, wantStatus: 200},
		{name: "draw below the rate", give: Settings{ErrorRate: 0.3}, draw: 0.2, wantStatus: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, tt.give, tt.draw)
			r := httptest.NewRequest(http.MethodGet, "/hello?x=1", nil)
			r.Header.Set("Request-Timeout", "900")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantStatus || w.Header().Get("Content-Type") != "application/json" {
				t.Errorf("ServeHTTP = %d %s, want %d JSON", w.Code, w.Header().Get("Content-Type"), tt.wantStatus)
			}
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Errorf("body %q is not JSON: %v", w.Body, err)
			}
			if w.Code == 200 && (body["path"] != "/hello?x=1" || body["request_timeout_ms"] != "900") {
				t.Errorf("body %v lacks the path and the deadline it got", body)
			}
		})
	}
}

// Latency delays the answer, unless the caller gives up first.
func TestHandlerLatency(t *testing.T) {
	h := newHandler(t, Settings{Latency: 50 * time.Millisecond}, 0)
	begin := time.Now()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if took := time.Since(begin); w.Code != 200 || took < 50*time.Millisecond {
		t.Errorf("answered %d after %v, want 200 after 50ms", w.Code, took)
	}
	h = newHandler(t, Settings{Latency: time.Hour}, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx))
	if h.Calls() != 1 {
		t.Errorf("Calls() = %d, want 1", h.Calls())
	}
}

func TestSettingsValidate(t *testing.T) {
	for _, bad := range []Settings{{ErrorRate: -0.1}, {ErrorRate: 1.1}, {Latency: -time.Second}, {Status: 200}, {Status: 600}} {
		if _, err := NewHandler(bad); err == nil {
			t.Errorf("NewHandler(%+v) = nil error", bad)
		}
	}
}
