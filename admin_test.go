package troupe_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
)

func TestAdminListener(t *testing.T) {
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Use(mark("global", actors.Global))
		app.Handle("GET", "/items/{id}", echoRoute("item"))
		app.Handle("GET", "/deny", troupe.Handler("deny", func(*actors.Exchange) error {
			return actors.NewError(http.StatusForbidden, "no")
		}))
	})
	for range 3 {
		s.do(t, "GET", "/items/1", "")
	}
	s.do(t, "GET", "/deny", "")
	s.do(t, "GET", "/missing", "")
	s.do(t, "POST", "/items/1", "")

	tests := []struct {
		path       string
		wantStatus int
		wantBody   []string
	}{
		{"/healthz", 200, []string{`"status":"ok"`}},
		{"/readyz", 200, []string{`"ready":true`}},
		{"/metrics", 200, []string{
			`troupe_requests_total{method="GET",route="/items/{id}",status="200"} 3`,
			`troupe_requests_total{method="GET",route="/deny",status="403"} 1`,
			`troupe_requests_total{method="GET",route="unmatched",status="404"} 1`,
			`troupe_requests_total{method="POST",route="unmatched",status="405"} 1`,
			`troupe_request_duration_seconds_count{method="GET",route="/items/{id}"} 3`,
			`troupe_rejections_total{reason="not_found"} 1`,
			`troupe_rejections_total{reason="method_not_allowed"} 1`,
			`troupe_requests_in_flight 0`,
			`troupe_stage_restarts_total{stage="global"} 0`,
			`troupe_stage_down{stage="global"} 0`,
			`troupe_stage_queue_depth{hop="global+item"} 0`,
			`go_goroutines`,
			`troupe_build_info{goversion="go`,
		}},
		{"/debug/pprof/", 200, []string{"goroutine"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := s.adminGet(t, tt.path)
			if r.status != tt.wantStatus {
				t.Fatalf("GET %s = %d, want %d", tt.path, r.status, tt.wantStatus)
			}
			for _, want := range tt.wantBody {
				if !strings.Contains(r.body, want) {
					t.Errorf("GET %s lacks %q", tt.path, want)
				}
			}
		})
	}
}
