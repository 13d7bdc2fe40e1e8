package maintenance_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe/stages/maintenance"
)

// serveAdmin serves st's admin routes on a mux, as the admin listener does.
func serveAdmin(t *testing.T, st *maintenance.Stage, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	mux := http.NewServeMux()
	for pattern, h := range st.AdminRoutes() {
		mux.Handle(pattern, h)
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	return w
}

func TestAdminRoutePatterns(t *testing.T) {
	st := mustNew(t, "site-wide", maintenance.Config{})
	var got []string
	for pattern := range st.AdminRoutes() {
		got = append(got, pattern)
	}
	slices.Sort(got)
	if want := []string{"GET /maintenance/site-wide", "PUT /maintenance/site-wide"}; !slices.Equal(got, want) {
		t.Errorf("AdminRoutes() patterns = %q, want %q", got, want)
	}
}

func TestAdminPut(t *testing.T) {
	configured := maintenance.Mode{RetryAfter: 2 * time.Minute, Message: "configured"}
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantMode   maintenance.Mode
	}{
		{name: "on with everything", body: `{"enabled":true,"retry_after":"30s","message":"upgrading"}`, wantStatus: 200,
			wantMode: maintenance.Mode{Enabled: true, RetryAfter: 30 * time.Second, Message: "upgrading"}},
		{name: "on with the configured rest", body: `{"enabled":true}`, wantStatus: 200,
			wantMode: maintenance.Mode{Enabled: true, RetryAfter: 2 * time.Minute, Message: "configured"}},
		{name: "off", body: `{"enabled":false}`, wantStatus: 200, wantMode: configured},
		{name: "no enabled", body: `{"message":"x"}`, wantStatus: 400, wantMode: configured},
		{name: "bad duration", body: `{"enabled":true,"retry_after":"soon"}`, wantStatus: 400, wantMode: configured},
		{name: "negative duration", body: `{"enabled":true,"retry_after":"-1s"}`, wantStatus: 400, wantMode: configured},
		{name: "unknown field", body: `{"enabled":true,"eta":"1h"}`, wantStatus: 400, wantMode: configured},
		{name: "not JSON", body: `on`, wantStatus: 400, wantMode: configured},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := mustNew(t, "m", maintenance.Config{RetryAfter: configured.RetryAfter, Message: configured.Message})
			w := serveAdmin(t, st, http.MethodPut, "/maintenance/m", tt.body)
			if w.Code != tt.wantStatus || w.Header().Get("Content-Type") != "application/json" {
				t.Errorf("PUT %s = %d %s, want %d application/json", tt.body, w.Code, w.Header().Get("Content-Type"), tt.wantStatus)
			}
			if got := st.Switch().Mode(); got != tt.wantMode {
				t.Errorf("after PUT %s: mode %+v, want %+v", tt.body, got, tt.wantMode)
			}
		})
	}
}

func TestAdminGet(t *testing.T) {
	st := mustNew(t, "m", maintenance.Config{})
	st.Switch().Set(maintenance.Mode{Enabled: true, RetryAfter: 90 * time.Second, Message: "db"})
	w := serveAdmin(t, st, http.MethodGet, "/maintenance/m", "")
	if want := `{"enabled":true,"retry_after":"1m30s","message":"db"}` + "\n"; w.Code != 200 || w.Body.String() != want {
		t.Errorf("GET = %d %s, want 200 %s", w.Code, w.Body, want)
	}
	if w := serveAdmin(t, st, http.MethodPut, "/maintenance/m", `{"enabled":false}`); w.Body.String() != `{"enabled":false,"retry_after":"1m0s","message":"the service is down for maintenance"}`+"\n" {
		t.Errorf("PUT answered %s, want the new mode", w.Body)
	}
}
