package supervisor_test

import (
	"context"
	"testing"
	"time"

	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/supervisor"
	"go.uber.org/zap"
)

// alive reports whether the actor with id is registered in sys.
func alive(sys *pipeline.System, id string) bool {
	as := pipeline.Root(sys).ActorSystem()
	_, ok := as.ProcessRegistry.GetLocal(id)
	return ok
}

// Release stops one hop's actors and leaves the others running; releasing
// a hop twice, or one the tree does not supervise, does nothing; Stop
// then stops what is left.
func TestReleaseStopsOneHop(t *testing.T) {
	sys := pipeline.NewSystem(zap.NewNop())
	defer sys.Shutdown()
	tree := supervisor.NewTree(sys, nil)
	hop := func(name string) *pipeline.Hop {
		spec := &pipeline.Spec{Name: name, Kind: pipeline.Stateful, New: func() pipeline.Stage {
			return pipeline.StageFunc(func(*pipeline.Exchange) error { return nil })
		}}
		h, err := pipeline.NewHop([]*pipeline.Spec{spec}, []*pipeline.Gate{tree.Stage(name, supervisor.Policy{}).Gate()})
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Supervise(h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	a, b := hop("a"), hop("b")
	idA, idB := a.Actors()[0], b.Actors()[0]
	if !alive(sys, idA) || !alive(sys, idB) {
		t.Fatal("the hops' actors are not running after Supervise")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tree.Release(ctx, a); err != nil {
		t.Fatalf("Release(a) = %v", err)
	}
	if alive(sys, idA) || !alive(sys, idB) {
		t.Errorf("after Release(a): a's actor alive %v, b's %v; want false, true", alive(sys, idA), alive(sys, idB))
	}
	if err := tree.Release(ctx, a); err != nil {
		t.Errorf("a second Release(a) = %v, want nil", err)
	}
	if err := tree.Stop(ctx); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	if alive(sys, idB) {
		t.Error("b's actor alive after Stop")
	}
}
