package actors

import "github.com/troupe-go/troupe/internal/pipeline"

// Stage is one step of a request pipeline: middleware or a handler.
// Process runs on the way in; it returns nil to let the exchange go on, or
// an error to end it with that error's response. A handler, the last stage,
// answers with Exchange.JSON or Respond. A Stateless stage (the default)
// runs on the request's own goroutine and may block; a Stateful one runs in
// the actor that owns its state and must not (see Kind).
type Stage = pipeline.Stage

// StageFunc adapts an ordinary function to the Stage interface.
type StageFunc = pipeline.StageFunc

// AfterStage is a Stage with an after-phase: After runs once a response
// exists, innermost stage first, like the second half of an onion
// middleware. It runs only if the stage's own Process returned nil without
// responding.
type AfterStage = pipeline.AfterStage

// Around builds an AfterStage from two functions; after may be nil.
func Around(before func(ex *Exchange) error, after func(ex *Exchange)) Stage {
	return pipeline.Around(before, after)
}

// FixedHeaderStage is a Stage that sets the same response headers on every
// response of its routes (a fixed API version, security headers). The
// deadline's 504, which the ingress writes while a stage may still hold the
// exchange, carries them too. FixedHeaders is called once, when the route
// is planned; only Stateless stages are asked.
type FixedHeaderStage = pipeline.FixedHeaderStage
