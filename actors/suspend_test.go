package actors_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/supervisor"
)

// suspender is a handler that suspends its exchange and hands the
// suspension to the test through parked.
func suspender(name string, kind actors.Kind, parked chan<- *actors.Suspension) *actors.Spec {
	return &actors.Spec{Name: name, Kind: kind, Priority: actors.Terminating, Concurrency: 1,
		Stage: actors.StageFunc(func(ex *actors.Exchange) error {
			note(ex, name)
			parked <- ex.Suspend()
			return nil
		})}
}

func receive(t *testing.T, parked <-chan *actors.Suspension) *actors.Suspension {
	t.Helper()
	select {
	case s := <-parked:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no exchange was suspended")
		return nil
	}
}

func answered(ex *actors.Exchange) bool {
	select {
	case <-ex.Done():
		return true
	default:
		return false
	}
}

func TestSuspendedExchangeIsAnsweredOnResume(t *testing.T) {
	parked := make(chan *actors.Suspension, 1)
	// The handler is fused with "inner", whose after-phase Resume runs;
	// "outer", in a hop of its own, gets the exchange back as usual.
	p := newPipeline(t, supervisor.Policy{}, nil,
		[]*actors.Spec{recorder("outer", actors.Global, true)},
		[]*actors.Spec{recorder("inner", actors.Global, true), suspender("h", actors.Pure, parked)})

	ex, _ := p.start(t, "/parked", traced)
	s := receive(t, parked)
	if answered(ex) {
		t.Fatal("the exchange was answered while suspended")
	}
	// The exchange is the holder's: set its response, then resume.
	ex.Respond(http.StatusCreated, "text/plain", []byte("later"))
	s.Resume(nil)
	wait(t, ex)

	if ex.Response.Status != http.StatusCreated || string(ex.Response.Body) != "later" {
		t.Errorf("response = %d %q, want 201 \"later\"", ex.Response.Status, ex.Response.Body)
	}
	if got, want := traceOf(ex), []string{"outer>", "inner>", "h", "inner<", "outer<"}; !slices.Equal(got, want) {
		t.Errorf("trace = %v, want %v", got, want)
	}
}

func TestSuspendFreesTheHandlersActor(t *testing.T) {
	// One Blocking actor: without Suspend, the second exchange would wait
	// for the first to be answered.
	const n = 3
	parked := make(chan *actors.Suspension, n)
	p := newPipeline(t, supervisor.Policy{}, nil, []*actors.Spec{suspender("h", actors.Blocking, parked)})

	var exs []*actors.Exchange
	var ss []*actors.Suspension
	for i := range n {
		ex, _ := p.start(t, "/"+string(rune('a'+i)), traced)
		exs = append(exs, ex)
		ss = append(ss, receive(t, parked))
	}
	for i := n - 1; i >= 0; i-- { // answer out of order
		exs[i].Respond(http.StatusOK, "text/plain", []byte(exs[i].Request.URL.Path))
		ss[i].Resume(nil)
	}
	for _, ex := range exs {
		wait(t, ex)
		if got := string(ex.Response.Body); got != ex.Request.URL.Path {
			t.Errorf("exchange %s answered %q", ex.Request.URL.Path, got)
		}
	}
}

func TestResumeWithAnErrorFailsTheExchangeOnce(t *testing.T) {
	parked := make(chan *actors.Suspension, 1)
	p := newPipeline(t, supervisor.Policy{}, nil,
		[]*actors.Spec{recorder("outer", actors.Global, true), suspender("h", actors.Pure, parked)})

	ex, _ := p.start(t, "/fails", traced)
	s := receive(t, parked)
	s.Resume(actors.Errorf(http.StatusServiceUnavailable, "the backend is busy"))
	s.Resume(nil) // ignored: only the first counts
	s.Resume(actors.Errorf(http.StatusTeapot, "ignored"))
	wait(t, ex)

	if ex.Response.Status != http.StatusServiceUnavailable || !strings.Contains(string(ex.Response.Body), "the backend is busy") {
		t.Errorf("response = %d %s, want 503 with the error's detail", ex.Response.Status, ex.Response.Body)
	}
	if got, want := traceOf(ex), []string{"outer>", "h", "outer<"}; !slices.Equal(got, want) {
		t.Errorf("trace = %v, want %v (each after-phase once)", got, want)
	}
}

func TestResumeInsideProcess(t *testing.T) {
	spec := &actors.Spec{Name: "h", Priority: actors.Terminating, Stage: actors.StageFunc(func(ex *actors.Exchange) error {
		s := ex.Suspend()
		ex.Respond(http.StatusAccepted, "text/plain", []byte("at once"))
		s.Resume(nil) // the exchange is on its way: touch it no more
		return nil
	})}
	p := newPipeline(t, supervisor.Policy{}, nil, []*actors.Spec{recorder("outer", actors.Global, true), spec})

	ex := p.run(t, "/now", traced)
	if ex.Response.Status != http.StatusAccepted || string(ex.Response.Body) != "at once" {
		t.Errorf("response = %d %q, want 202 \"at once\"", ex.Response.Status, ex.Response.Body)
	}
	if got, want := traceOf(ex), []string{"outer>", "outer<"}; !slices.Equal(got, want) {
		t.Errorf("trace = %v, want %v", got, want)
	}
}

func TestSuspendOutsideAHandlerFails(t *testing.T) {
	early := &actors.Spec{Name: "early", Priority: actors.Global, Stage: actors.StageFunc(func(ex *actors.Exchange) error {
		ex.Suspend()
		return nil
	})}
	stateful := &actors.Spec{Name: "stateful", Kind: actors.Stateful, Priority: actors.Terminating, New: func() actors.Stage {
		return actors.StageFunc(func(ex *actors.Exchange) error {
			ex.Suspend()
			return nil
		})
	}}
	for _, tc := range []struct {
		name string
		hops [][]*actors.Spec
	}{
		{"not the handler", [][]*actors.Spec{{recorder("outer", actors.Global, true)}, {early}, {handler("h", actors.Pure)}}},
		{"a stateful handler", [][]*actors.Spec{{recorder("outer", actors.Global, true)}, {stateful}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPipeline(t, supervisor.Policy{}, nil, tc.hops...)
			ex := p.run(t, "/suspend", traced)
			if ex.Response.Status != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", ex.Response.Status)
			}
			if tr := traceOf(ex); tr[len(tr)-1] != "outer<" {
				t.Errorf("trace = %v, want the outer after-phase last", tr)
			}
		})
	}
}

func TestPanicAfterSuspend(t *testing.T) {
	parked := make(chan *actors.Suspension, 1)
	resumeFirst := actors.NewKey[bool]("resume-first")
	spec := &actors.Spec{Name: "h", Priority: actors.Terminating,
		Stage: actors.StageFunc(func(ex *actors.Exchange) error {
			s := ex.Suspend()
			if first, _ := resumeFirst.Get(ex); first {
				ex.Respond(http.StatusOK, "text/plain", []byte("resumed"))
				s.Resume(nil)
			} else {
				parked <- s
			}
			panic("after suspend")
		})}
	// Fused with the handler, outer's after-phase would run inside a late
	// Resume, on this goroutine, where the trace would show it.
	p := newPipeline(t, supervisor.Policy{}, nil, []*actors.Spec{recorder("outer", actors.Global, true), spec})

	// Not resumed yet: the actor takes the exchange back and fails it; the
	// later Resume is ignored.
	ex := p.run(t, "/unresumed", traced)
	s := receive(t, parked)
	if ex.Response.Status != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", ex.Response.Status)
	}
	s.Resume(nil)
	if got, want := traceOf(ex), []string{"outer>", "outer<"}; !slices.Equal(got, want) {
		t.Errorf("trace = %v, want %v (after-phases once, none from the late Resume)", got, want)
	}

	// Resumed first: its answer stands.
	ex = p.run(t, "/resumed", func(ex *actors.Exchange) { traced(ex); resumeFirst.Set(ex, true) })
	if ex.Response.Status != http.StatusOK || string(ex.Response.Body) != "resumed" {
		t.Errorf("response = %d %q, want 200 \"resumed\"", ex.Response.Status, ex.Response.Body)
	}
	if got, want := traceOf(ex), []string{"outer>", "outer<"}; !slices.Equal(got, want) {
		t.Errorf("trace = %v, want %v", got, want)
	}
}
