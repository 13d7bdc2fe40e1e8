package actors

import (
	"go.uber.org/zap"

	"github.com/troupe-go/troupe/internal/pipeline"
)

// System is troupe's actor system. An App makes its own; a component used
// from Go without an App (a batching.Batcher, an upstream.Upstream) is
// started on one made with NewSystem, and stopped before it.
type System = pipeline.System

// NewSystem returns a new actor system logging to log. Stop it with
// System.Stop once the components started on it have stopped.
func NewSystem(log *zap.Logger) *System { return pipeline.NewSystem(log) }
