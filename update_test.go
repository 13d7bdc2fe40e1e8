package troupe_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
)

// counter is a Stateful stage whose state is a count of the requests its
// instance has seen, in X-Count: a new instance starts from 1 again.
func counter(name string) *actors.Spec {
	return &actors.Spec{Name: name, Kind: actors.Stateful, Priority: actors.Business, New: func() actors.Stage {
		n := 0
		return actors.StageFunc(func(ex *actors.Exchange) error {
			n++
			ex.Response.Header().Set("X-Count", fmt.Sprint(n))
			return nil
		})
	}}
}

// text is a handler answering body.
func text(name, body string) *actors.Spec {
	return troupe.Handler(name, func(ex *actors.Exchange) error {
		ex.Respond(http.StatusOK, "text/plain", []byte(body))
		return nil
	})
}

// A group added at run time serves with its stages at once; removed, its
// routes answer 404 and the others are untouched.
func TestUpdateAddsAndRemovesAGroup(t *testing.T) {
	s := start(t, troupe.Config{}, func(app *troupe.App) { app.Handle("GET", "/a", ok("a")) })
	if r := s.do(t, "GET", "/t/42/dash", ""); r.status != http.StatusNotFound {
		t.Fatalf("before: %d, want 404", r.status)
	}
	var tenant *troupe.Group
	ch, err := s.app.Update(func(r *troupe.Router) error {
		tenant = r.Group("/t/42", mark("tenant-auth", actors.Auth))
		tenant.Handle("GET", "/dash", ok("dash"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ch.RoutesAdded, []string{"GET /t/42/dash"}) || len(ch.RoutesRemoved) != 0 || ch.HopsStarted != 1 {
		t.Errorf("changes = %+v, want GET /t/42/dash added in one new hop", ch)
	}
	if r := s.do(t, "GET", "/t/42/dash", ""); r.status != http.StatusOK || r.header.Get("X-Trace") != "tenant-auth" {
		t.Fatalf("added: %d %q, want 200 through tenant-auth", r.status, r.header.Get("X-Trace"))
	}
	ch, err = s.app.Update(func(r *troupe.Router) error {
		if n := r.RemoveGroup(tenant); n != 1 {
			return fmt.Errorf("removed %d routes, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ch.RoutesRemoved, []string{"GET /t/42/dash"}) || ch.HopsRetired != 1 {
		t.Errorf("changes = %+v, want GET /t/42/dash removed, its hop retired", ch)
	}
	if r := s.do(t, "GET", "/t/42/dash", ""); r.status != http.StatusNotFound {
		t.Errorf("removed: %d, want 404", r.status)
	}
	if r := s.do(t, "GET", "/a", ""); r.status != http.StatusOK {
		t.Errorf("/a: %d, want 200", r.status)
	}
}

// A stateful stage given as the same Spec keeps its actor and its state
// across an Update that changes other routes; given as a new Spec (its
// options changed), it starts afresh.
func TestUpdateCarriesStateOfUnchangedStages(t *testing.T) {
	c := counter("count")
	s := start(t, troupe.Config{}, func(app *troupe.App) { app.Handle("GET", "/c", ok("c")).With(c) })
	for i := 1; i <= 3; i++ {
		if got := s.do(t, "GET", "/c", "").header.Get("X-Count"); got != fmt.Sprint(i) {
			t.Fatalf("request %d: X-Count %s", i, got)
		}
	}
	ch, err := s.app.Update(func(r *troupe.Router) error {
		r.Handle("GET", "/other", ok("other"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ch.StagesKept, "count") {
		t.Errorf("changes = %+v, want count kept", ch)
	}
	if got := s.do(t, "GET", "/c", "").header.Get("X-Count"); got != "4" {
		t.Errorf("after an unrelated update: X-Count %s, want 4 (state carried over)", got)
	}
	ch, err = s.app.Update(func(r *troupe.Router) error {
		r.Remove("GET", "/c")
		r.Handle("GET", "/c", ok("c")).With(counter("count"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ch.StagesReplaced, "count") {
		t.Errorf("changes = %+v, want count replaced", ch)
	}
	if got := s.do(t, "GET", "/c", "").header.Get("X-Count"); got != "1" {
		t.Errorf("after replacing the stage: X-Count %s, want 1 (a new instance)", got)
	}
}

// stopRecorder is a component that records its Stop.
type stopRecorder struct{ stopped chan struct{} }

func (c *stopRecorder) Start(*actors.System) error { return nil }
func (c *stopRecorder) Stop(context.Context) error {
	close(c.stopped)
	return nil
}

// A request in flight when its route is replaced finishes on the old
// handler; new requests get the new one at once; a component the Update
// removes is stopped only once that request has finished.
func TestUpdateLetsInFlightRequestsFinishOnTheOldTable(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := troupe.Handler("slow v1", func(ex *actors.Exchange) error {
		close(entered)
		<-release
		ex.Respond(http.StatusOK, "text/plain", []byte("v1"))
		return nil
	})
	comp := &stopRecorder{stopped: make(chan struct{})}
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle("GET", "/slow", slow)
		app.Add(comp)
	})
	done := make(chan response, 1)
	go func() {
		r, err := s.try(context.Background(), "GET", "/slow", "")
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	<-entered
	ch, err := s.app.Update(func(r *troupe.Router) error {
		r.Remove("GET", "/slow")
		r.Handle("GET", "/slow", text("slow v2", "v2"))
		if !r.RemoveComponent(comp) {
			return fmt.Errorf("the component was not added")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ch.ComponentsStopped != 1 {
		t.Errorf("changes = %+v, want one component stopped", ch)
	}
	if r := s.do(t, "GET", "/slow", ""); r.body != "v2" {
		t.Errorf("new request: %q, want v2", r.body)
	}
	select {
	case <-comp.stopped:
		t.Fatal("the removed component was stopped while a request of its generation ran")
	default:
	}
	close(release)
	if r := <-done; r.status != http.StatusOK || r.body != "v1" {
		t.Errorf("in-flight request: %d %q, want 200 v1", r.status, r.body)
	}
	select {
	case <-comp.stopped:
	case <-time.After(10 * time.Second): // its retirement follows the response at once; 10 s is for a loaded machine
		t.Fatal("the removed component was not stopped once its generation had drained")
	}
}

// A failing Update changes nothing: the app serves as before, and its
// declarations are as they were.
func TestUpdateThatFailsKeepsTheOldTable(t *testing.T) {
	s := start(t, troupe.Config{}, func(app *troupe.App) { app.Handle("GET", "/a", ok("a")) })
	var g *troupe.Group
	_, err := s.app.Update(func(r *troupe.Router) error {
		g = r.Group("/g", mark("a", actors.Global)) // a second, different stage named "a"
		g.Handle("GET", "/x", ok("x"))
		return nil
	})
	if err == nil {
		t.Fatal("an update with two stages named a succeeded")
	}
	_, err = s.app.Update(func(r *troupe.Router) error {
		r.Handle("GET", "/b", ok("b"))
		return fmt.Errorf("changed my mind")
	})
	if err == nil {
		t.Fatal("an update whose function failed succeeded")
	}
	if r := s.do(t, "GET", "/a", ""); r.status != http.StatusOK {
		t.Errorf("/a: %d, want 200", r.status)
	}
	for _, p := range []string{"/g/x", "/b"} {
		if r := s.do(t, "GET", p, ""); r.status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, r.status)
		}
	}
	var n int
	if _, err := s.app.Update(func(r *troupe.Router) error { n = len(r.Routes()); return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d routes declared after the failed updates, want 1", n)
	}
}

// Update after Shutdown is refused; before Start it only declares.
func TestUpdateAroundTheAppsLife(t *testing.T) {
	app := troupe.New(troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0"}, Admin: troupe.AdminConfig{Addr: "off"}}, troupe.WithLogger(nopLogger()))
	if _, err := app.Update(func(r *troupe.Router) error { r.Handle("GET", "/a", ok("a")); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	if err := app.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Update(func(*troupe.Router) error { calls.Add(1); return nil }); err != troupe.ErrStopped || calls.Load() != 0 {
		t.Errorf("Update after Shutdown = %v (fn called %d times), want ErrStopped without calling fn", err, calls.Load())
	}
}

// Updates that race a shutdown either apply before it or are refused with
// ErrStopped; a component an Update added is stopped with the app.
func TestUpdateRacingShutdown(t *testing.T) {
	s := start(t, troupe.Config{}, func(app *troupe.App) { app.Handle("GET", "/a", ok("a")) })
	var comps []*stopRecorder
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			c := &stopRecorder{stopped: make(chan struct{})}
			_, err := s.app.Update(func(r *troupe.Router) error {
				if !r.Remove("GET", "/b") {
					r.Handle("GET", "/b", ok(fmt.Sprintf("b%d", i)))
				}
				r.Add(c)
				return nil
			})
			if err != nil {
				done <- err
				return
			}
			comps = append(comps, c)
		}
	}()
	if r := s.do(t, "GET", "/a", ""); r.status != http.StatusOK {
		t.Errorf("/a during the updates: %d", r.status)
	}
	if err := s.app.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != troupe.ErrStopped {
		t.Fatalf("Update after Shutdown = %v, want ErrStopped", err)
	}
	for i, c := range comps { // written before done was sent
		select {
		case <-c.stopped:
		default:
			t.Errorf("component %d of %d was not stopped by Shutdown", i, len(comps))
		}
	}
}
