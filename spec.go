package troupe

import "github.com/troupe-go/troupe/actors"

// HandlerFunc handles a request: it reads the exchange and answers with
// Exchange.Respond or Exchange.JSON, or returns an error (see actors.Error).
type HandlerFunc func(ex *actors.Exchange) error

// Stage declares a pure stage: a function of the exchange alone, that keeps
// no state between requests and never blocks. Adjacent pure stages of a
// route share one actor. For stateful or blocking stages, fill in an
// actors.Spec.
func Stage(name string, p actors.Priority, s actors.Stage) *actors.Spec {
	return &actors.Spec{Name: name, Kind: actors.Pure, Priority: p, Stage: s}
}

// Handler declares a handler that may block (call a database, another
// service): it runs on a pool of DefaultConcurrency actors with goroutines
// of their own. This is what the GET, POST… shorthands use.
func Handler(name string, h HandlerFunc) *actors.Spec {
	return &actors.Spec{Name: name, Kind: actors.Blocking, Priority: actors.Terminating, Stage: actors.StageFunc(h)}
}

// PureHandler declares a handler that only computes: it never blocks, so it
// runs fused with the pure stages before it, on the request's own goroutine
// when the actor is idle — the cheapest path troupe has.
func PureHandler(name string, h HandlerFunc) *actors.Spec {
	return &actors.Spec{Name: name, Kind: actors.Pure, Priority: actors.Terminating, Stage: actors.StageFunc(h)}
}

// Stack is a reusable list of stages, for groups and routes that share
// them: `app.Group("/api", api...)`. Extend one with With:
//
//	public := troupe.Stack{cors, securityHeaders}
//	api := public.With(apiKey, rateLimit)
//	admin := api.With(audit)
type Stack []*actors.Spec

// With returns a new stack: s followed by more. s is not changed.
func (s Stack) With(more ...*actors.Spec) Stack {
	return append(append(Stack(nil), s...), more...)
}
