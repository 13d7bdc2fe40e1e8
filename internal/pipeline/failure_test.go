package pipeline_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe/internal/fakeclock"
	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/supervisor"
)

// panicky is a stateful stage that counts the exchanges its instance has
// seen and panics on paths containing "boom".
func panicky(instances *counter) *pipeline.Spec {
	return &pipeline.Spec{Name: "panicky", Kind: pipeline.Stateful, New: func() pipeline.Stage {
		instances.add("new")
		seen := 0
		return pipeline.StageFunc(func(ex *pipeline.Exchange) error {
			seen++
			note(ex, "seen="+string(rune('0'+seen)))
			if strings.Contains(ex.Request.URL.Path, "boom") {
				panic("boom")
			}
			return nil
		})
	}}
}

func TestPanicFailsOneExchangeAndRestartsTheActor(t *testing.T) {
	var instances counter
	p := newPipeline(t, supervisor.Policy{}, nil,
		[]*pipeline.Spec{recorder("outer", pipeline.Global, true)}, []*pipeline.Spec{panicky(&instances)}, []*pipeline.Spec{handler("h", pipeline.Stateless)})

	first := p.run(t, "/ok", traced)
	boom := p.run(t, "/boom", traced)
	after := p.run(t, "/ok-again", traced)

	if boom.Response.Status != http.StatusInternalServerError {
		t.Fatalf("status of the panicking exchange = %d, want 500", boom.Response.Status)
	}
	if !strings.Contains(string(boom.Response.Body), `"request_id":"req-/boom"`) {
		t.Errorf("500 body %s lacks the request id", boom.Response.Body)
	}
	if got, want := traceOf(boom), []string{"outer>", "seen=2", "outer<"}; !slices.Equal(got, want) {
		t.Errorf("trace of the panicking exchange = %v, want %v (earlier after-phases still run)", got, want)
	}
	if first.Response.Status != http.StatusOK || after.Response.Status != http.StatusOK {
		t.Errorf("statuses around the panic = %d, %d; want 200, 200", first.Response.Status, after.Response.Status)
	}
	// A restart makes a fresh instance: the next exchange is its first.
	if got, want := traceOf(after), []string{"outer>", "seen=1", "h", "outer<"}; !slices.Equal(got, want) {
		t.Errorf("trace after the restart = %v, want %v", got, want)
	}
	if got := instances.get("new"); got != 3 { // one to probe for an after-phase, the first actor, the restarted one
		t.Errorf("instances made = %d, want 3", got)
	}
	if got := healthOf(t, p.tree, "panicky").Restarts(); got != 1 {
		t.Errorf("restarts = %d, want 1", got)
	}
}

func TestCrashLoopClosesGateUntilBackoff(t *testing.T) {
	clock := fakeclock.New()
	policy := supervisor.Policy{MaxRestarts: 2, Window: time.Second, Backoff: 3 * time.Second}
	var instances counter
	p := newPipeline(t, policy, clock, []*pipeline.Spec{panicky(&instances)}, []*pipeline.Spec{handler("h", pipeline.Stateless)})
	health := healthOf(t, p.tree, "panicky")

	for i := range 3 { // the third failure within the window is one too many
		if ex := p.run(t, "/boom", nil); ex.Response.Status != http.StatusInternalServerError {
			t.Fatalf("failure %d: status = %d, want 500", i, ex.Response.Status)
		}
		if i < 2 && health.Down() {
			t.Fatalf("down after %d failures, want up until the third", i+1)
		}
	}
	if !health.Down() {
		t.Fatal("stage not down after 3 failures with max_restarts 2")
	}
	if got := p.tree.Down(); !slices.Equal(got, []string{"panicky"}) {
		t.Errorf("Down() = %v, want [panicky]", got)
	}
	ex := p.run(t, "/ok", nil)
	if ex.Response.Status != http.StatusServiceUnavailable {
		t.Fatalf("status while down = %d, want 503", ex.Response.Status)
	}
	if got := ex.Response.HeaderIfAny().Get("Retry-After"); got != "3" {
		t.Errorf("Retry-After = %q, want 3", got)
	}

	clock.Advance(3 * time.Second)
	if health.Down() {
		t.Fatal("still down after the back-off")
	}
	if ex := p.run(t, "/ok", nil); ex.Response.Status != http.StatusOK {
		t.Errorf("status after the back-off = %d, want 200", ex.Response.Status)
	}
}

func TestBackoffDoublesOnRepeatedCrashLoops(t *testing.T) {
	clock := fakeclock.New()
	policy := supervisor.Policy{MaxRestarts: 1, Window: time.Second, Backoff: time.Second, MaxBackoff: 4 * time.Second}
	var instances counter
	p := newPipeline(t, policy, clock, []*pipeline.Spec{panicky(&instances)}, []*pipeline.Spec{handler("h", pipeline.Stateless)})
	health := healthOf(t, p.tree, "panicky")
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		p.run(t, "/boom", nil)
		p.run(t, "/boom", nil)
		if !health.Down() {
			t.Fatal("not down after two failures with max_restarts 1")
		}
		if got := health.Gate().RetryAfter(); got != want {
			t.Errorf("back-off = %s, want %s", got, want)
		}
		clock.Advance(want)
		if health.Down() {
			t.Fatalf("still down after %s", want)
		}
	}
}

func TestServeRefusesWhenAStageIsDown(t *testing.T) {
	var reached counter
	spec := &pipeline.Spec{Name: "s", Stage: pipeline.StageFunc(func(*pipeline.Exchange) error { reached.add("s"); return nil })}
	p := newPipeline(t, supervisor.Policy{}, nil, []*pipeline.Spec{spec, handler("h", pipeline.Stateless)})
	healthOf(t, p.tree, "s").Gate().Close(time.Now().Add(10 * time.Second))

	c := p.start(t, "/x", nil)
	if got := c.wait(t); got != pipeline.Refused {
		t.Errorf("outcome = %v, want Refused", got)
	}
	ex := c.ex
	if ex.Response.Status != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", ex.Response.Status)
	}
	if got := ex.Response.HeaderIfAny().Get("Retry-After"); got != "10" {
		t.Errorf("Retry-After = %q, want 10", got)
	}
	if reached.get("s") != 0 {
		t.Error("the stage ran although it was down")
	}
}

func healthOf(t *testing.T, tree *supervisor.Tree, name string) *supervisor.Health {
	t.Helper()
	for _, h := range tree.Health() {
		if h.Name() == name {
			return h
		}
	}
	t.Fatalf("no stage %q", name)
	return nil
}
