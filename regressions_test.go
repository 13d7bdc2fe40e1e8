package troupe_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
)

// Groups made from one stack do not share its backing array: adding a
// stage to one group never changes another's.
func TestGroupsDoNotShareStageLists(t *testing.T) {
	base := troupe.Stack{mark("a", actors.Global), mark("b", actors.Global)}.With(mark("c", actors.Global))
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Group("/one", base...).Use(mark("audit", actors.Global)).Handle("GET", "/x", echoRoute("one"))
		app.Group("/two", base...).Use(mark("limit", actors.Global)).Handle("GET", "/x", echoRoute("two"))
	})
	for path, want := range map[string][]string{"/one/x": {"a", "b", "c", "audit"}, "/two/x": {"a", "b", "c", "limit"}} {
		if got := s.do(t, "GET", path, "").header.Values("X-Trace"); !slices.Equal(got, want) {
			t.Errorf("GET %s ran %v, want %v", path, got, want)
		}
	}
}

// A partition key function that panics fails its request with a 500, at
// once, instead of dropping the connection or waiting for the deadline.
func TestPanickingPartitionKeyIs500(t *testing.T) {
	keyed := &actors.Spec{Name: "keyed", Kind: actors.Stateful, Partitions: 2, Priority: actors.Business,
		PartitionKey: func(ex *actors.Exchange) string {
			if ex.Request.URL.Query().Has("boom") {
				panic("bad key")
			}
			return "k"
		},
		New: func() actors.Stage { return actors.StageFunc(func(*actors.Exchange) error { return nil }) },
	}
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle("GET", "/first", echoRoute("first")).With(keyed)
		app.Handle("GET", "/later", echoRoute("later")).With(mark("before", actors.Global), keyed)
	})
	for _, path := range []string{"/first?boom", "/later?boom"} {
		r := s.do(t, "GET", path, "")
		if r.status != http.StatusInternalServerError || r.took > time.Second {
			t.Errorf("GET %s = %d after %s, want 500 at once", path, r.status, r.took)
		}
	}
	if r := s.do(t, "GET", "/later", ""); r.status != http.StatusOK {
		t.Errorf("GET /later = %d, want 200", r.status)
	}
}

// A status outside 200–599 from a handler reaches the client as a 500
// problem, not a dropped connection.
func TestInvalidStatusIs500(t *testing.T) {
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle("GET", "/weird", troupe.Handler("weird", func(ex *actors.Exchange) error {
			ex.Respond(42, "text/plain", []byte("?"))
			return nil
		}))
		app.Handle("GET", "/zero", troupe.Handler("zero", func(ex *actors.Exchange) error {
			ex.Respond(0, "text/plain", []byte("zero"))
			return nil
		}))
	})
	if r := s.do(t, "GET", "/weird", ""); r.status != http.StatusInternalServerError || !strings.Contains(r.body, "invalid status 42") {
		t.Errorf("GET /weird = %d %s, want a 500 problem", r.status, r.body)
	}
	if r := s.do(t, "GET", "/zero", ""); r.status != http.StatusOK || r.body != "zero" {
		t.Errorf("GET /zero = %d %q, want 200 zero", r.status, r.body)
	}
}

// A stage constructor that panics makes building the app fail, not hang.
func TestPanickingConstructorFailsTheBuild(t *testing.T) {
	calls := 0
	spec := &actors.Spec{Name: "fragile", Kind: actors.Stateful, New: func() actors.Stage {
		calls++
		if calls > 1 {
			panic("cannot start")
		}
		return actors.StageFunc(func(*actors.Exchange) error { return nil })
	}}
	app := troupe.New(troupe.Config{}, troupe.WithLogger(nopLogger()))
	app.Handle("GET", "/x", echoRoute("x")).With(spec)
	done := make(chan error, 1)
	go func() { _, err := app.Handler(); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "cannot start") {
			t.Errorf("Handler() = %v, want the constructor's panic as an error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Handler() hung on a panicking constructor")
	}
}

// Shutdown of an app that was only mounted with Handler stops its actors.
func TestShutdownOfAMountedApp(t *testing.T) {
	app := troupe.New(troupe.Config{}, troupe.WithLogger(nopLogger()))
	app.Handle("GET", "/x", echoRoute("x"))
	if _, err := app.Handler(); err != nil {
		t.Fatal(err)
	}
	if err := app.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}

// Shutdown keeps to its context even when a handler ignores its own and
// cannot be stopped.
func TestShutdownKeepsToItsContext(t *testing.T) {
	stuck, release := make(chan struct{}, 1), make(chan struct{})
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle("GET", "/stuck", &actors.Spec{Name: "stuck", Kind: actors.Stateless, Priority: actors.Terminating,
			Stage: actors.StageFunc(func(*actors.Exchange) error {
				stuck <- struct{}{}
				<-release // ignores the exchange's context
				return nil
			})}).Timeout(100 * time.Millisecond)
	})
	defer close(release) // lets the stuck goroutine go once the test is done
	if r := s.do(t, "GET", "/stuck", ""); r.status != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504", r.status)
	}
	<-stuck
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	begin := time.Now()
	err := s.app.Shutdown(ctx)
	if took := time.Since(begin); took > 2*time.Second {
		t.Errorf("Shutdown took %s with a 500ms context", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want it to report the deadline", err)
	}
}
