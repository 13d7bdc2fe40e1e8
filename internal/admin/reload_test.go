package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// teapot is a refusal that picks its status.
type teapot struct{ error }

func (teapot) HTTPStatus() int { return http.StatusTeapot }

// POST /reload answers 200 with the summary, or a problem+json with one
// entry per error joined in the refusal, 422 unless the refusal says.
func TestReloadHandler(t *testing.T) {
	tests := []struct {
		name       string
		summary    any
		err        error
		wantStatus int
		wantErrors []string
	}{
		{"done", map[string]int{"hops_started": 2}, nil, 200, nil},
		{"refused", nil, errors.Join(errors.New("c.yaml:3: bad"), errors.New("c.yaml:9: worse")), 422, []string{"c.yaml:3: bad", "c.yaml:9: worse"}},
		{"wrapped", nil, teapot{errors.Join(errors.New("c.yaml:1: one"))}, http.StatusTeapot, []string{"c.yaml:1: one"}},
		{"plain", nil, errors.New("config: open c.yaml: no such file"), 422, []string{"config: open c.yaml: no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := ReloadHandler(func(context.Context) (any, error) { return tt.summary, tt.err })
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/reload", nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.err == nil {
				if got := rec.Body.String(); got != "{\"hops_started\":2}\n" {
					t.Errorf("body %q", got)
				}
				return
			}
			var p struct {
				Status int      `json:"status"`
				Errors []string `json:"errors"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" || p.Status != tt.wantStatus || !slices.Equal(p.Errors, tt.wantErrors) {
				t.Errorf("%s %+v, want problem+json %d with errors %q", ct, p, tt.wantStatus, tt.wantErrors)
			}
		})
	}
}
