package pipeline_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/supervisor"
)

// A panic in a fused hop still runs the after-phases of the stages before
// it in the same hop, as an error would.
func TestPanicRunsEarlierAfterPhasesOfTheSameHop(t *testing.T) {
	boom := &pipeline.Spec{Name: "boom", Stage: pipeline.StageFunc(func(ex *pipeline.Exchange) error {
		note(ex, "boom>")
		panic("boom")
	})}
	p := newPipeline(t, supervisor.Policy{}, nil, []*pipeline.Spec{recorder("a", pipeline.Global, true), boom, handler("h", pipeline.Stateless)})
	ex := p.run(t, "/x", traced)
	if ex.Response.Status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", ex.Response.Status)
	}
	if got, want := traceOf(ex), []string{"a>", "boom>", "a<"}; !slices.Equal(got, want) {
		t.Errorf("trace = %v, want %v", got, want)
	}
}

// An after-phase that panics fails the exchange but the other after-phases
// still run.
func TestPanickingAfterPhaseDoesNotSkipTheOthers(t *testing.T) {
	bad := &pipeline.Spec{Name: "bad-after", Stage: pipeline.Around(func(*pipeline.Exchange) error { return nil }, func(*pipeline.Exchange) { panic("after") })}
	p := newPipeline(t, supervisor.Policy{}, nil, []*pipeline.Spec{recorder("a", pipeline.Global, true), bad, handler("h", pipeline.Stateless)})
	ex := p.run(t, "/x", traced)
	if ex.Response.Status != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", ex.Response.Status)
	}
	if got, want := traceOf(ex), []string{"a>", "h", "a<"}; !slices.Equal(got, want) {
		t.Errorf("trace = %v, want %v", got, want)
	}
}

// An exchange whose client goes away while a later stage works on it still
// gets the after-phases of the stages whose Process ran: a stage that
// takes a resource in Process and gives it back in After never leaks it.
func TestAbandonedExchangeStillRunsOwedAfterPhases(t *testing.T) {
	released := make(chan struct{}, 1) // one exchange, one release
	entered, hold := make(chan struct{}, 1), make(chan struct{})
	take := &pipeline.Spec{Name: "take", Stage: pipeline.Around(func(*pipeline.Exchange) error { return nil }, func(*pipeline.Exchange) {
		released <- struct{}{}
	})}
	slow := &pipeline.Spec{Name: "slow", Kind: pipeline.Stateless, Concurrency: 1, Stage: pipeline.StageFunc(func(ex *pipeline.Exchange) error {
		entered <- struct{}{}
		<-hold
		ex.Respond(http.StatusOK, "", nil)
		return nil
	})}
	p := newPipeline(t, supervisor.Policy{}, nil, []*pipeline.Spec{take}, []*pipeline.Spec{slow})
	c := p.start(t, "/x", nil)
	<-entered
	c.cancel()
	close(hold)
	<-released // blocks forever (test timeout) if the after-phase is skipped
	if got := c.wait(t); got != pipeline.Gone {
		t.Errorf("outcome = %v, want Gone", got)
	}
}
