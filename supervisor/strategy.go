package supervisor

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/troupe-go/troupe/internal/pipeline"
	"go.uber.org/zap"
)

// Strategy is the supervisor strategy of a stage supervisor: restart the
// failed actor at once, and charge the failure to the stage that panicked
// (a fused hop hosts several), which may mark that stage down.
//
// Restarting at once, even when the stage is marked down, matters: the
// exchanges queued behind the failed one are then answered 503 by the
// closed gate straight away instead of waiting out the back-off.
type Strategy struct {
	health map[string]*Health
	all    []*Health // the hop's stages in order; charged for a failure outside any stage
	log    *zap.Logger
}

var _ actor.SupervisorStrategy = (*Strategy)(nil)

// HandleFailure implements actor.SupervisorStrategy.
func (s *Strategy) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, reason any, _ any) {
	charged := s.all
	if p, ok := reason.(*pipeline.StagePanic); ok {
		if h, ok := s.health[p.Stage]; ok {
			charged = []*Health{h}
		}
	}
	for _, h := range charged {
		h.noteFailure(reason)
		if backoff := h.failed(); backoff > 0 {
			s.log.Error("stage marked down after repeated failures",
				zap.String("stage", h.Name()),
				zap.Int("max_restarts", h.policy.MaxRestarts),
				zap.Duration("window", h.policy.Window),
				zap.Duration("backoff", backoff))
		}
	}
	s.log.Warn("restarting stage actor", zap.String("actor", child.Id), zap.String("reason", fmt.Sprint(reason)))
	sup.RestartChildren(child)
}
