package troupe_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
)

type ctxKey struct{}

// statusRecorder is what logging and metrics middleware wrap the writer in.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(s int) { r.status = s; r.ResponseWriter.WriteHeader(s) }

// Ordinary net/http middleware on a group wraps the rest of the pipeline:
// before next it can refuse or change the request; after next it sees the
// handler's status through the writer it passed on.
func TestMiddlewareWrapsTheRestOfThePipeline(t *testing.T) {
	tenant := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Tenant") == "" {
				http.Error(w, "who are you?", http.StatusUnauthorized)
				return
			}
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), ctxKey{}, r.Header.Get("X-Tenant"))))
			w.Header().Set("X-Seen-Status", strconv.Itoa(rec.status)) // after the header went: ignored, as in net/http
			rec.status = -rec.status
		})
	}
	var seen int
	observe := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			seen = rec.status
		})
	}
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		api := app.Group("/api", troupe.Middleware("tenant", actors.Auth, tenant), troupe.Middleware("observe", actors.Global, observe))
		api.GET("/whoami", func(ex *actors.Exchange) error {
			who, _ := ex.Request.Context().Value(ctxKey{}).(string)
			if who == "" {
				return actors.NewError(http.StatusInternalServerError, "the middleware's context value did not arrive")
			}
			return ex.JSON(http.StatusTeapot, map[string]string{"tenant": who})
		})
	})
	if r := s.do(t, "GET", "/api/whoami", ""); r.status != http.StatusUnauthorized || r.body != "who are you?\n" {
		t.Errorf("without a tenant: %d %q, want the middleware's 401", r.status, r.body)
	}
	if seen != http.StatusUnauthorized {
		t.Errorf("the outer middleware saw %d, want 401", seen)
	}
	r := s.do(t, "GET", "/api/whoami", "", "X-Tenant", "acme")
	if r.status != http.StatusTeapot || r.body != `{"tenant":"acme"}` {
		t.Errorf("with a tenant: %d %q, want 418 from the handler with the tenant", r.status, r.body)
	}
	if seen != http.StatusTeapot {
		t.Errorf("the outer middleware saw %d after next, want 418", seen)
	}
}

// An ordinary http.Handler is a route's handler: it gets the body, and
// what it writes is the response, which the stages before it still see.
func TestHTTPHandlerIsAHandler(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(b)
	})
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Use(mark("outer", actors.Global))
		app.Handle("POST", "/echo", troupe.HTTPHandler("echo", echo))
	})
	r := s.do(t, "POST", "/echo", "hello")
	if r.status != http.StatusCreated || r.body != "hello" || r.header.Get("Content-Type") != "text/plain" || r.header.Get("X-Trace") != "outer" {
		t.Errorf("POST /echo = %d %q %v, want 201 hello text/plain with the stage's header", r.status, r.body, r.header)
	}
}

// A middleware that panics, on the goroutine troupe runs it on, fails its
// request with a 500 and is counted as its stage's failure: it never takes
// the process down.
func TestMiddlewarePanicFailsOnlyItsRequest(t *testing.T) {
	boom := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("when") == "before" {
				panic("before next")
			}
			next.ServeHTTP(w, r)
			if r.URL.Query().Get("when") == "after" {
				panic("after next")
			}
		})
	}
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Use(troupe.Middleware("boom", actors.Global, boom))
		app.Handle("GET", "/x", ok("x"))
	})
	for _, when := range []string{"before", "after"} {
		if r := s.do(t, "GET", "/x?when="+when, ""); r.status != http.StatusInternalServerError {
			t.Errorf("a panic %s next: %d, want 500", when, r.status)
		}
	}
	if r := s.do(t, "GET", "/x", ""); r.status != http.StatusOK {
		t.Errorf("after the panics: %d, want 200", r.status)
	}
	if m := s.adminGet(t, "/metrics").body; !strings.Contains(m, `troupe_stage_restarts_total{stage="boom"} 2`) {
		t.Error(`/metrics lacks troupe_stage_restarts_total{stage="boom"} 2`)
	}
}
