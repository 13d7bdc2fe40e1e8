package when_test

import (
	"net/http/httptest"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/when"
	"github.com/troupe-go/troupe/stagetest"
)

func TestPredicates(t *testing.T) {
	tests := []struct {
		name   string
		pred   when.Predicate
		method string
		target string
		header []string
		want   bool
	}{
		{"prefix itself", when.PathPrefix("/admin"), "GET", "/admin", nil, true},
		{"prefix below", when.PathPrefix("/admin/"), "GET", "/admin/users", nil, true},
		{"prefix is per segment", when.PathPrefix("/admin"), "GET", "/administrator", nil, false},
		{"root prefix", when.PathPrefix("/"), "GET", "/x", nil, true},
		{"method", when.Method("POST", "PUT"), "PUT", "/", nil, true},
		{"other method", when.Method("POST"), "GET", "/", nil, false},
		{"header present", when.Header("x-debug"), "GET", "/", []string{"X-Debug", ""}, true},
		{"header absent", when.Header("X-Debug"), "GET", "/", nil, false},
		{"header equals", when.HeaderEquals("X-Env", "staging"), "GET", "/", []string{"X-Env", "staging"}, true},
		{"header differs", when.HeaderEquals("X-Env", "staging"), "GET", "/", []string{"X-Env", "prod"}, false},
		{"query present", when.Query("trace"), "GET", "/?trace", nil, true},
		{"query equals", when.QueryEquals("f", "json"), "GET", "/?f=xml&f=json", nil, true},
		{"all", when.All(when.Method("GET"), when.Query("a")), "GET", "/?a=1", nil, true},
		{"all fails", when.All(when.Method("GET"), when.Query("a")), "GET", "/", nil, false},
		{"any", when.Any(when.Method("POST"), when.Query("a")), "GET", "/?a=1", nil, true},
		{"not", when.Not(when.Method("GET")), "GET", "/", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			for i := 0; i+1 < len(tt.header); i += 2 {
				r.Header.Set(tt.header[i], tt.header[i+1])
			}
			ex := stagetest.Exchange(t, r)
			if got := tt.pred(ex); got != tt.want {
				t.Errorf("predicate on %s %s = %v, want %v", tt.method, tt.target, got, tt.want)
			}
		})
	}
}

func TestConditionalStage(t *testing.T) {
	var before, after int
	inner := &actors.Spec{Name: "counted", Stage: actors.Around(
		func(*actors.Exchange) error { before++; return nil },
		func(*actors.Exchange) { after++ })}
	spec := when.Stage(when.Method("POST"), inner)
	if spec.Name != "counted" || spec == inner {
		t.Fatalf("Stage returned %+v, want a copy named counted", spec)
	}
	stagetest.RunSpec(t, spec, httptest.NewRequest("GET", "/", nil))
	if before != 0 || after != 0 {
		t.Errorf("GET: ran %d/%d times, want 0/0", before, after)
	}
	stagetest.RunSpec(t, spec, httptest.NewRequest("POST", "/", nil))
	if before != 1 || after != 1 {
		t.Errorf("POST: ran %d/%d times, want 1/1", before, after)
	}
}

// The predicate is asked once, in Process: a handler that changes what it
// reads (here a request header) changes neither whether the after-phase
// runs nor whose slot it frees.
func TestDecidesOncePerExchange(t *testing.T) {
	tests := []struct {
		name      string
		header    string // X-Limited on the request
		flip      string // what the handler sets it to
		wantAfter bool
	}{
		{name: "held, then changed: After still runs", header: "1", flip: "", wantAfter: true},
		{name: "not held, then changed: After does not run", header: "", flip: "1", wantAfter: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var processed, after int
			inner := actors.Around(func(*actors.Exchange) error { processed++; return nil }, func(*actors.Exchange) { after++ })
			spec := when.Stage(when.Header("X-Limited"), &actors.Spec{Name: "limited", Stage: inner})
			r := httptest.NewRequest("GET", "/", nil)
			if tt.header != "" {
				r.Header.Set("X-Limited", tt.header)
			}
			stagetest.Run(t, spec.Stage, r, stagetest.WithHandler(func(ex *actors.Exchange) error {
				if tt.flip != "" {
					ex.Request.Header.Set("X-Limited", tt.flip)
				} else {
					ex.Request.Header.Del("X-Limited")
				}
				ex.Respond(200, "", nil)
				return nil
			}))
			if (after == 1) != tt.wantAfter || after != processed {
				t.Errorf("Process ran %d times, After %d; want After to run exactly when Process did (%v)", processed, after, tt.wantAfter)
			}
		})
	}
}
