package troupe

import "github.com/troupe-go/troupe/actors"

// HandlerFunc handles a request: it reads the exchange and answers with
// Exchange.Respond or Exchange.JSON, or returns an error (see actors.Error).
type HandlerFunc func(ex *actors.Exchange) error

// Stage declares a stage: middleware that runs on the request's own
// goroutine, under its hop's supervision, and may block (call a database,
// another service) without holding up any other request. s is shared by
// every request and must be safe for concurrent use. For a stage that
// owns state in an actor, or one whose concurrency is capped, fill in an
// actors.Spec.
func Stage(name string, p actors.Priority, s actors.Stage) *actors.Spec {
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: p, Stage: s}
}

// Handler declares a handler: it runs on the request's own goroutine and
// may block, with no cap on how many run at once (set Spec.Concurrency on
// the result to cap them). This is what the GET, POST… shorthands use.
func Handler(name string, h HandlerFunc) *actors.Spec {
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: actors.Terminating, Stage: actors.StageFunc(h)}
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
