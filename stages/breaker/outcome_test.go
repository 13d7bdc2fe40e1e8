package breaker_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/breaker"
	"github.com/troupe-go/troupe/stagetest"
)

// What one exchange counts as, by how the rest of the route ended it.
func TestOutcome(t *testing.T) {
	status := func(code int) func(*actors.Exchange) error {
		return func(ex *actors.Exchange) error { ex.Respond(code, "text/plain", nil); return nil }
	}
	sleep := func(d time.Duration, code int) func(*actors.Exchange) error {
		return func(ex *actors.Exchange) error { time.Sleep(d); ex.Respond(code, "text/plain", nil); return nil }
	}
	tests := []struct {
		name    string
		cfg     breaker.Config
		handler func(*actors.Exchange) error
		timeout time.Duration
		cancel  bool // the client goes away while the handler runs
		want    string
	}{
		{name: "200", handler: status(http.StatusOK), want: "success"},
		{name: "404 is the client's", handler: status(http.StatusNotFound), want: "success"},
		{name: "429", handler: status(http.StatusTooManyRequests), want: "success"},
		{name: "503 answered", handler: status(http.StatusServiceUnavailable), want: "failure"},
		{name: "an error is a 500", handler: func(*actors.Exchange) error { return errors.New("db: connection reset") }, want: "failure"},
		{name: "an error with a 4xx", handler: func(*actors.Exchange) error { return actors.NewError(http.StatusConflict, "taken") }, want: "success"},
		{name: "failure_statuses narrowed: 500 passes", cfg: breaker.Config{FailureStatuses: []string{"503"}},
			handler: status(http.StatusInternalServerError), want: "success"},
		{name: "failure_statuses: 429 fails", cfg: breaker.Config{FailureStatuses: []string{"5xx", "429"}},
			handler: status(http.StatusTooManyRequests), want: "failure"},
		{name: "deadline passed", handler: sleep(2*time.Second, http.StatusOK), timeout: time.Second, want: "neutral"},
		{name: "deadline passed, the handler's 504", timeout: time.Second,
			handler: func(ex *actors.Exchange) error { <-ex.Context().Done(); return ex.Context().Err() }, want: "neutral"},
		{name: "client gone", cancel: true,
			handler: func(ex *actors.Exchange) error { <-ex.Context().Done(); return ex.Context().Err() }, want: "neutral"},
		{name: "slow", cfg: breaker.Config{SlowCallDuration: time.Second}, handler: sleep(2*time.Second, http.StatusOK), want: "slow"},
		{name: "slow and past the deadline", cfg: breaker.Config{SlowCallDuration: time.Second},
			handler: sleep(3*time.Second, http.StatusOK), timeout: 2 * time.Second, want: "slow"},
		{name: "quick enough", cfg: breaker.Config{SlowCallDuration: time.Second}, handler: sleep(time.Second, http.StatusOK), want: "success"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				spec := mustNew(t, tt.cfg)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				h := tt.handler
				if tt.cancel {
					h = func(ex *actors.Exchange) error { cancel(); return tt.handler(ex) }
				}
				opts := []stagetest.Option{stagetest.WithHandler(h)}
				if tt.timeout > 0 {
					opts = append(opts, stagetest.WithTimeout(tt.timeout))
				}
				out := stagetest.RunSpec(t, spec, httptest.NewRequestWithContext(ctx, http.MethodGet, "/orders", nil), opts...)
				if !out.AfterRan {
					t.Fatal("the after-phase did not run")
				}
				if got := outcomes(t, spec); len(got) != 1 || got[tt.want] != 1 {
					t.Errorf("outcomes = %v, want one %s", got, tt.want)
				}
			})
		})
	}
}

// A breaker around another breaker counts the inner one's refusals as
// neutral: the inner one counts its own dependency.
func TestInnerRefusalIsNeutral(t *testing.T) {
	inner, err := breaker.New("inner", breaker.Config{ConsecutiveFailures: 1, OpenTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	outer, err := breaker.New("outer", breaker.Config{ConsecutiveFailures: 1, OpenTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	req := func() *http.Request { return httptest.NewRequest(http.MethodGet, "/orders", nil) }
	// Open the inner breaker.
	if out := stagetest.RunSpec(t, inner, req(), stagetest.WithHandler(func(*actors.Exchange) error { return errors.New("down") })); out.Status != http.StatusInternalServerError {
		t.Fatalf("inner: %d, want 500", out.Status)
	}
	// The outer breaker around it: the inner's 503 is neutral.
	out := stagetest.RunSpec(t, outer, req(), stagetest.WithHandler(func(ex *actors.Exchange) error { return inner.Stage.Process(ex) }))
	if out.Status != http.StatusServiceUnavailable {
		t.Fatalf("through both: %d, want the inner breaker's 503", out.Status)
	}
	if got := outcomes(t, outer); got["neutral"] != 1 || len(got) != 1 {
		t.Errorf("outer outcomes = %v, want one neutral", got)
	}
	if breaker.StateOf(outer) != breaker.Closed {
		t.Errorf("outer breaker %s, want closed", breaker.StateOf(outer))
	}
}

// The failure ratio trips the breaker once the window holds MinimumCalls
// calls, however the failures are interleaved; not before.
func TestFailureRatio(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		spec := mustNew(t, breaker.Config{ConsecutiveFailures: 100, FailureRatio: 0.5, MinimumCalls: 10, Window: time.Minute})
		run := func(code int) {
			stagetest.RunSpec(t, spec, httptest.NewRequest(http.MethodGet, "/orders", nil),
				stagetest.WithHandler(func(ex *actors.Exchange) error { ex.Respond(code, "", nil); return nil }))
		}
		for range 4 { // 8 calls, half failed: below MinimumCalls
			run(http.StatusOK)
			run(http.StatusInternalServerError)
		}
		if breaker.StateOf(spec) != breaker.Closed {
			t.Fatalf("after 8 calls: %s, want closed", breaker.StateOf(spec))
		}
		run(http.StatusOK)
		run(http.StatusInternalServerError) // the 10th call, 5 of 10 failed
		if breaker.StateOf(spec) != breaker.Open {
			t.Fatalf("after 10 calls, half failed: %s, want open", breaker.StateOf(spec))
		}
	})
}

// The window forgets: failures a whole window apart do not add up.
func TestWindowForgets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		spec := mustNew(t, breaker.Config{ConsecutiveFailures: 2, Window: 10 * time.Second, Buckets: 1})
		fail := func() {
			stagetest.RunSpec(t, spec, httptest.NewRequest(http.MethodGet, "/orders", nil),
				stagetest.WithHandler(func(*actors.Exchange) error { return errors.New("down") }))
		}
		fail()
		time.Sleep(10*time.Second + time.Nanosecond)
		fail()
		if breaker.StateOf(spec) != breaker.Closed {
			t.Fatalf("two failures a window apart: %s, want closed", breaker.StateOf(spec))
		}
		fail()
		if breaker.StateOf(spec) != breaker.Open {
			t.Fatalf("two failures in a window: %s, want open", breaker.StateOf(spec))
		}
	})
}

// A CORS preflight passes the breaker without asking it, open or not,
// and counts for nothing.
func TestPreflightPasses(t *testing.T) {
	spec := mustNew(t, breaker.Config{ConsecutiveFailures: 1, OpenTimeout: time.Hour})
	req := func() *http.Request { return httptest.NewRequest(http.MethodOptions, "/orders", nil) }
	preflight := stagetest.WithSetup(func(ex *actors.Exchange) { ex.SetPreflight("GET, OPTIONS") })
	for range 3 {
		if out := stagetest.RunSpec(t, spec, req(), preflight); out.Ended {
			t.Fatalf("preflight ended by the breaker: %d", out.Status)
		}
	}
	if got := outcomes(t, spec); len(got) != 0 {
		t.Errorf("outcomes after preflights = %v, want none", got)
	}
	stagetest.RunSpec(t, spec, httptest.NewRequest(http.MethodGet, "/orders", nil),
		stagetest.WithHandler(func(*actors.Exchange) error { return errors.New("down") }))
	if breaker.StateOf(spec) != breaker.Open {
		t.Fatalf("breaker %s, want open", breaker.StateOf(spec))
	}
	if out := stagetest.RunSpec(t, spec, req(), preflight); out.Ended {
		t.Errorf("preflight refused by the open breaker: %d", out.Status)
	}
}

func TestNew(t *testing.T) {
	spec := mustNew(t, breaker.Config{})
	if spec.Kind != actors.Stateless || spec.Priority != actors.Terminating || spec.Name != "db" {
		t.Errorf("spec = %q %s %s, want \"db\" stateless terminating", spec.Name, spec.Kind, spec.Priority)
	}
	if err := spec.Validate(); err != nil {
		t.Error(err)
	}
	if breaker.StateOf(spec) != breaker.Closed {
		t.Errorf("a new breaker is %s, want closed", breaker.StateOf(spec))
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		give breaker.Config
		want string
	}{
		{name: "ratio above 1", give: breaker.Config{FailureRatio: 1.5}, want: `breaker "db": failure_ratio: must be from 0 to 1, got 1.5`},
		{name: "negative ratio", give: breaker.Config{FailureRatio: -0.1}, want: `breaker "db": failure_ratio: must be from 0 to 1, got -0.1`},
		{name: "negative open timeout", give: breaker.Config{OpenTimeout: -time.Second}, want: `breaker "db": open_timeout: must not be negative, got -1s`},
		{name: "negative window", give: breaker.Config{Window: -time.Second}, want: `breaker "db": window: must not be negative, got -1s`},
		{name: "negative slow", give: breaker.Config{SlowCallDuration: -time.Second}, want: `breaker "db": slow_call_duration: must not be negative, got -1s`},
		{name: "negative buckets", give: breaker.Config{Buckets: -1}, want: `breaker "db": buckets: must be from 1 to the window in nanoseconds, got -1`},
		{name: "bad status", give: breaker.Config{FailureStatuses: []string{"5xx", "6xx"}}, want: `breaker "db": failure_statuses: "6xx" is neither a status code from 100 to 599 nor a class such as 5xx`},
		{name: "fallback status", give: breaker.Config{Fallback: &breaker.Fallback{Status: 99}}, want: `breaker "db": fallback: status must be from 200 to 599, got 99`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := breaker.New("db", tt.give); err == nil || err.Error() != tt.want {
				t.Errorf("New(%+v) = %v, want %s", tt.give, err, tt.want)
			}
		})
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[breaker.State]string{breaker.Closed: "closed", breaker.HalfOpen: "half_open", breaker.Open: "open", 7: "State(7)"} {
		if s.String() != want {
			t.Errorf("State(%d).String() = %q, want %q", int(s), s.String(), want)
		}
	}
}
