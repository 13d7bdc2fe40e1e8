package maintenance_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/maintenance"
	"github.com/troupe-go/troupe/stagetest"
)

func TestProcess(t *testing.T) {
	tests := []struct {
		name       string
		mode       maintenance.Mode
		allow      []string
		path       string
		wantStatus int
		wantRetry  string
		wantDetail string
	}{
		{name: "off", mode: maintenance.Mode{}, path: "/api/items", wantStatus: 200},
		{name: "on", mode: maintenance.Mode{Enabled: true, RetryAfter: 30 * time.Second, Message: "upgrading"}, path: "/api/items", wantStatus: 503, wantRetry: "30", wantDetail: "upgrading"},
		{name: "on, retry rounded up", mode: maintenance.Mode{Enabled: true, RetryAfter: 1500 * time.Millisecond, Message: "m"}, path: "/", wantStatus: 503, wantRetry: "2", wantDetail: "m"},
		{name: "on, no retry", mode: maintenance.Mode{Enabled: true, Message: "m"}, path: "/", wantStatus: 503, wantRetry: "", wantDetail: "m"},
		{name: "allowed path", mode: maintenance.Mode{Enabled: true}, allow: []string{"/status"}, path: "/status", wantStatus: 200},
		{name: "below an allowed path", mode: maintenance.Mode{Enabled: true}, allow: []string{"/status"}, path: "/status/db", wantStatus: 200},
		{name: "allowed with a trailing slash", mode: maintenance.Mode{Enabled: true}, allow: []string{"/status/"}, path: "/status/db", wantStatus: 200},
		{name: "a longer segment is not allowed", mode: maintenance.Mode{Enabled: true, Message: "m"}, allow: []string{"/status"}, path: "/statusx", wantStatus: 503, wantDetail: "m"},
		{name: "second prefix", mode: maintenance.Mode{Enabled: true}, allow: []string{"/status", "/api/health"}, path: "/api/health", wantStatus: 200},
		{name: "root allows everything", mode: maintenance.Mode{Enabled: true}, allow: []string{"/"}, path: "/anything", wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := mustNew(t, "m", maintenance.Config{Allow: tt.allow})
			st.Switch().Set(tt.mode)
			out := stagetest.Run(t, st, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if out.Status != tt.wantStatus || out.Header.Get("Retry-After") != tt.wantRetry {
				t.Errorf("GET %s = %d, Retry-After %q; want %d, %q", tt.path, out.Status, out.Header.Get("Retry-After"), tt.wantStatus, tt.wantRetry)
			}
			if tt.wantDetail != "" && !strings.Contains(string(out.Body), `"detail":"`+tt.wantDetail+`"`) {
				t.Errorf("GET %s body = %s, want detail %q", tt.path, out.Body, tt.wantDetail)
			}
		})
	}
}

// The switch flips from Go: on, off, on again, and requests follow it.
func TestSwitchFromGo(t *testing.T) {
	st := mustNew(t, "m", maintenance.Config{})
	steps := []struct {
		mode       maintenance.Mode
		wantStatus int
	}{
		{maintenance.Mode{}, 200},
		{maintenance.Mode{Enabled: true, RetryAfter: time.Minute, Message: "m"}, 503},
		{maintenance.Mode{}, 200},
		{maintenance.Mode{Enabled: true}, 503},
	}
	for i, s := range steps {
		st.Switch().Set(s.mode)
		if got := st.Switch().Mode(); got != s.mode {
			t.Errorf("step %d: Mode() = %+v, want %+v", i, got, s.mode)
		}
		if out := stagetest.Run(t, st, httptest.NewRequest(http.MethodGet, "/", nil)); out.Status != s.wantStatus {
			t.Errorf("step %d (%+v): status %d, want %d", i, s.mode, out.Status, s.wantStatus)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	st := mustNew(t, "m", maintenance.Config{Enabled: true})
	want := maintenance.Mode{Enabled: true, RetryAfter: maintenance.DefaultRetryAfter, Message: maintenance.DefaultMessage}
	if got := st.Switch().Mode(); got != want {
		t.Errorf("Mode() = %+v, want %+v", got, want)
	}
	var zero maintenance.Switch
	if got := zero.Mode(); got != (maintenance.Mode{}) {
		t.Errorf("zero Switch Mode() = %+v, want off", got)
	}
}

// mustNew returns the maintenance stage of the Spec New returns.
func mustNew(t *testing.T, name string, cfg maintenance.Config) *maintenance.Stage {
	t.Helper()
	spec, err := maintenance.New(name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := maintenance.Of(spec)
	if !ok {
		t.Fatalf("Of(New(%q)) found no maintenance stage in a Spec of %T", name, spec.Stage)
	}
	return st
}

// Of finds the stage of a Spec New made, and nothing in any other Spec.
func TestOf(t *testing.T) {
	if _, ok := maintenance.Of(&actors.Spec{Name: "other", Stage: actors.StageFunc(func(*actors.Exchange) error { return nil })}); ok {
		t.Error("Of found a maintenance stage in a Spec of a StageFunc")
	}
	spec, err := maintenance.New("m", maintenance.Config{})
	if err != nil {
		t.Fatal(err)
	}
	st, ok := maintenance.Of(spec)
	if !ok {
		t.Fatal("Of found no maintenance stage in the Spec New returned")
	}
	st.Switch().Set(maintenance.Mode{Enabled: true})
	if out := stagetest.RunSpec(t, spec, httptest.NewRequest(http.MethodGet, "/", nil)); out.Status != http.StatusServiceUnavailable {
		t.Errorf("after switching on the stage Of found: status %d, want 503 from the Spec's stage", out.Status)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		give maintenance.Config
	}{
		{name: "relative allow path", give: maintenance.Config{Allow: []string{"status"}}},
		{name: "negative retry", give: maintenance.Config{RetryAfter: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := maintenance.New("m", tt.give); err == nil {
				t.Errorf("New(%+v) = nil error, want one", tt.give)
			}
		})
	}
}
