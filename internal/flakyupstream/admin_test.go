package flakyupstream

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// admin serves h's admin routes on a mux, as the admin listener does.
func admin(h *Handler, method, body string) *httptest.ResponseRecorder {
	mux := http.NewServeMux()
	for pattern, handler := range h.AdminRoutes() {
		mux.Handle(pattern, handler)
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(method, "/demo/upstream", strings.NewReader(body)))
	return w
}

func TestAdminPut(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus int
		want       Settings
	}{
		{name: "everything", body: `{"error_rate":1.0,"latency":"250ms","status":500}`, wantStatus: 200,
			want: Settings{ErrorRate: 1, Latency: 250 * time.Millisecond, Status: 500}},
		{name: "error rate only", body: `{"error_rate":0.5}`, wantStatus: 200, want: Settings{ErrorRate: 0.5, Latency: time.Second, Status: 503}},
		{name: "latency only", body: `{"latency":"0s"}`, wantStatus: 200, want: Settings{ErrorRate: 0.2, Status: 503}},
		{name: "rate out of range", body: `{"error_rate":2}`, wantStatus: 400, want: Settings{ErrorRate: 0.2, Latency: time.Second, Status: 503}},
		{name: "bad latency", body: `{"latency":"soon"}`, wantStatus: 400, want: Settings{ErrorRate: 0.2, Latency: time.Second, Status: 503}},
		{name: "unknown field", body: `{"jitter":"1s"}`, wantStatus: 400, want: Settings{ErrorRate: 0.2, Latency: time.Second, Status: 503}},
		{name: "not JSON", body: `fail`, wantStatus: 400, want: Settings{ErrorRate: 0.2, Latency: time.Second, Status: 503}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, Settings{ErrorRate: 0.2, Latency: time.Second}, 0)
			w := admin(h, http.MethodPut, tt.body)
			if w.Code != tt.wantStatus || w.Header().Get("Content-Type") != "application/json" {
				t.Errorf("PUT %s = %d %s, want %d JSON", tt.body, w.Code, w.Body, tt.wantStatus)
			}
			if got := h.Settings(); got != tt.want {
				t.Errorf("after PUT %s: %+v, want %+v", tt.body, got, tt.want)
			}
		})
	}
}

func TestAdminGet(t *testing.T) {
	h := newHandler(t, Settings{ErrorRate: 0.25, Latency: 1500 * time.Millisecond}, 0)
	w := admin(h, http.MethodGet, "")
	if want := `{"error_rate":0.25,"latency":"1.5s","status":503}` + "\n"; w.Code != 200 || w.Body.String() != want {
		t.Errorf("GET = %d %s, want 200 %s", w.Code, w.Body, want)
	}
}
