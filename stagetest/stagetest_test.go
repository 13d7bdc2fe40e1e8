package stagetest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stagetest"
)

func TestRun(t *testing.T) {
	deny := actors.StageFunc(func(*actors.Exchange) error { return actors.NewError(http.StatusForbidden, "no") })
	pass := actors.Around(func(*actors.Exchange) error { return nil }, func(ex *actors.Exchange) {
		ex.Response.Header().Set("X-After", "1")
	})
	answer := actors.StageFunc(func(ex *actors.Exchange) error {
		ex.Respond(http.StatusNotModified, "", nil)
		return nil
	})
	tests := []struct {
		name                              string
		stage                             actors.Stage
		wantStatus                        int
		wantEnded, wantHandler, wantAfter bool
	}{
		{"error ends it", deny, http.StatusForbidden, true, false, false},
		{"pass runs handler and after", pass, http.StatusOK, false, true, true},
		{"respond ends it", answer, http.StatusNotModified, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.Run(t, tt.stage, httptest.NewRequest("GET", "/x", nil))
			if out.Status != tt.wantStatus || out.Ended != tt.wantEnded || out.HandlerRan != tt.wantHandler || out.AfterRan != tt.wantAfter {
				t.Errorf("Run = status %d ended %v handler %v after %v; want %d %v %v %v",
					out.Status, out.Ended, out.HandlerRan, out.AfterRan, tt.wantStatus, tt.wantEnded, tt.wantHandler, tt.wantAfter)
			}
		})
	}
}

func TestRunMapsErrorsToProblems(t *testing.T) {
	out := stagetest.Run(t, actors.StageFunc(func(*actors.Exchange) error {
		return actors.NewError(http.StatusTeapot, "short and stout")
	}), httptest.NewRequest("GET", "/pot", nil), stagetest.WithRequestID("rid-1"))
	if !strings.Contains(string(out.Body), `"request_id":"rid-1"`) || out.Header.Get("Content-Type") != actors.ProblemContentType {
		t.Errorf("body %s, Content-Type %q", out.Body, out.Header.Get("Content-Type"))
	}
}

func TestOptions(t *testing.T) {
	out := stagetest.Run(t, actors.StageFunc(func(ex *actors.Exchange) error {
		if ex.Params.Get("id") != "7" || string(ex.Body) != "hi" {
			return actors.NewError(http.StatusBadRequest, "options not applied")
		}
		return nil
	}), httptest.NewRequest("POST", "/items/7", nil), stagetest.WithParams("id", "7"), stagetest.WithBody([]byte("hi")),
		stagetest.WithHandler(func(ex *actors.Exchange) error { ex.Respond(http.StatusCreated, "", nil); return nil }))
	if out.Status != http.StatusCreated {
		t.Errorf("status %d, want 201 (body %s)", out.Status, out.Body)
	}
}
