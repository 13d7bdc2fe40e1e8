package pipeline

import "net/http"

// Stage is one step of a request pipeline: middleware or a handler.
//
// Process runs on the way in. It returns nil to let the exchange go on to
// the next stage, or an error to end it early: the error becomes the
// response (see Error and ErrorStatus). A stage may also end the exchange
// early by writing a response with Exchange.Respond; a handler, the last
// stage of an itinerary, is expected to.
//
// A Stage must not keep the exchange after Process returns: the exchange
// belongs to the request, and moves on. A Stateless stage (the default)
// runs on the request's own goroutine and may block; a Stateful one runs
// in the actor that owns its state and must not (see Kind).
type Stage interface {
	Process(ex *Exchange) error
}

// StageFunc adapts an ordinary function to the Stage interface.
type StageFunc func(ex *Exchange) error

// Process calls f(ex).
func (f StageFunc) Process(ex *Exchange) error { return f(ex) }

// AfterStage is a Stage with an after-phase. After runs once the handler
// (or an earlier stage that ended the exchange) has produced a response,
// innermost stage first, like the second half of an onion middleware. It
// may change the response but cannot stop other after-phases from running.
//
// After runs only if the stage's own Process ran and returned nil without
// responding.
type AfterStage interface {
	Stage
	After(ex *Exchange)
}

// Around builds an AfterStage from two functions; after may be nil.
func Around(before func(ex *Exchange) error, after func(ex *Exchange)) Stage {
	if after == nil {
		return StageFunc(before)
	}
	return aroundStage{before: before, after: after}
}

type aroundStage struct {
	before func(ex *Exchange) error
	after  func(ex *Exchange)
}

func (s aroundStage) Process(ex *Exchange) error { return s.before(ex) }
func (s aroundStage) After(ex *Exchange)         { s.after(ex) }

var _ AfterStage = aroundStage{}

// FixedHeaderStage is a Stage that sets the same response headers on every
// response of its routes, whatever the request: a fixed API version,
// security headers. Implementing it lets the one answer that no stage sees
// carry them too: the deadline's 504, which the ingress writes while a
// stage may still hold the exchange, so that the response being built
// cannot be read. FixedHeaders is called once, when the route is planned;
// the header it returns must not change afterwards. Only Stateless stages
// are asked.
type FixedHeaderStage interface {
	Stage
	FixedHeaders() http.Header
}
