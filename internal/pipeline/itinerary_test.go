package pipeline_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/supervisor"
)

func TestItineraryOrder(t *testing.T) {
	tests := []struct {
		name string
		hops func() [][]*pipeline.Spec
		want []string
	}{
		{
			name: "fused pure hop, stateful hop, blocking handler",
			hops: func() [][]*pipeline.Spec {
				state := &pipeline.Spec{Name: "c", Kind: pipeline.Stateful, New: func() pipeline.Stage {
					return pipeline.Around(func(ex *pipeline.Exchange) error { note(ex, "c>"); return nil }, func(ex *pipeline.Exchange) { note(ex, "c<") })
				}}
				return [][]*pipeline.Spec{{recorder("a", pipeline.Global, true), recorder("b", pipeline.Auth, false)}, {state}, {handler("h", pipeline.Stateless)}}
			},
			want: []string{"a>", "b>", "c>", "h", "c<", "a<"},
		},
		{
			name: "after-phases only, innermost first, across hops",
			hops: func() [][]*pipeline.Spec {
				return [][]*pipeline.Spec{{recorder("a", pipeline.Global, true)}, {recorder("b", pipeline.Global, true)}, {recorder("c", pipeline.Global, false)}, {handler("h", pipeline.Stateless)}}
			},
			want: []string{"a>", "b>", "c>", "h", "b<", "a<"},
		},
		{
			name: "single pure hop with the handler fused",
			hops: func() [][]*pipeline.Spec {
				return [][]*pipeline.Spec{{recorder("a", pipeline.Global, true), recorder("b", pipeline.Global, true), handler("h", pipeline.Stateless)}}
			},
			want: []string{"a>", "b>", "h", "b<", "a<"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPipeline(t, supervisor.Policy{}, nil, tt.hops()...)
			ex := p.run(t, "/x", traced)
			if got := traceOf(ex); !slices.Equal(got, tt.want) {
				t.Errorf("trace = %v, want %v", got, tt.want)
			}
			if ex.Response.Status != http.StatusOK {
				t.Errorf("status = %d, want 200", ex.Response.Status)
			}
		})
	}
}

func TestStageEndsExchangeEarly(t *testing.T) {
	tests := []struct {
		name       string
		stop       *pipeline.Spec
		wantStatus int
		wantTrace  []string
	}{
		{
			name: "error maps to its status",
			stop: &pipeline.Spec{Name: "stop", Stage: pipeline.Around(func(ex *pipeline.Exchange) error {
				note(ex, "stop>")
				return pipeline.NewError(http.StatusForbidden, "no")
			}, func(ex *pipeline.Exchange) { note(ex, "stop<") })},
			wantStatus: http.StatusForbidden,
			wantTrace:  []string{"a>", "stop>", "a<"},
		},
		{
			name: "plain error is a 500",
			stop: &pipeline.Spec{Name: "stop", Stage: pipeline.StageFunc(func(ex *pipeline.Exchange) error {
				note(ex, "stop>")
				return errors.New("database on fire")
			})},
			wantStatus: http.StatusInternalServerError,
			wantTrace:  []string{"a>", "stop>", "a<"},
		},
		{
			name: "respond short-circuits the handler",
			stop: &pipeline.Spec{Name: "stop", Stage: pipeline.Around(func(ex *pipeline.Exchange) error {
				note(ex, "stop>")
				ex.Respond(http.StatusNotModified, "", nil)
				return nil
			}, func(ex *pipeline.Exchange) { note(ex, "stop<") })},
			wantStatus: http.StatusNotModified,
			wantTrace:  []string{"a>", "stop>", "a<"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPipeline(t, supervisor.Policy{}, nil,
				[]*pipeline.Spec{recorder("a", pipeline.Global, true)}, []*pipeline.Spec{tt.stop}, []*pipeline.Spec{handler("h", pipeline.Stateless)})
			ex := p.run(t, "/x", traced)
			if ex.Response.Status != tt.wantStatus {
				t.Errorf("status = %d, want %d", ex.Response.Status, tt.wantStatus)
			}
			if got := traceOf(ex); !slices.Equal(got, tt.wantTrace) {
				t.Errorf("trace = %v, want %v", got, tt.wantTrace)
			}
		})
	}
}

func TestErrorBodyIsProblemWithRequestID(t *testing.T) {
	p := newPipeline(t, supervisor.Policy{}, nil, []*pipeline.Spec{{Name: "deny", Stage: pipeline.StageFunc(func(*pipeline.Exchange) error {
		return &pipeline.Error{Status: http.StatusTooManyRequests, Detail: "slow down", RetryAfter: 1500 * 1e6}
	})}}, []*pipeline.Spec{handler("h", pipeline.Stateless)})
	ex := p.run(t, "/items/1", nil)
	body := string(ex.Response.Body)
	for _, want := range []string{`"status":429`, `"detail":"slow down"`, `"request_id":"req-/items/1"`, `"instance":"/items/1"`} {
		if !strings.Contains(body, want) {
			t.Errorf("body %s lacks %s", body, want)
		}
	}
	h := ex.Response.HeaderIfAny()
	if got := h.Get("Content-Type"); got != pipeline.ProblemContentType {
		t.Errorf("Content-Type = %q, want %q", got, pipeline.ProblemContentType)
	}
	if got := h.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q, want 2 (1.5s rounded up)", got)
	}
}
