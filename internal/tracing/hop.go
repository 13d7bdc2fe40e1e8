package tracing

import "go.opentelemetry.io/otel/trace"

// Hop is what the span of a hop says that does not change from one
// request to the next, made once per hop.
type Hop struct {
	name  string
	opts  []trace.SpanStartOption
	waits bool
}

// NewHop returns the span description of the hop named name ("hop NAME")
// whose stages are stages. waits says the hop can make an exchange wait
// (a stateful stage, or a concurrency cap): its spans then carry the wait.
func NewHop(name string, stages []string, stateful, waits bool) *Hop {
	kind := "stateless"
	if stateful {
		kind = "stateful"
	}
	return &Hop{
		name: "hop " + name,
		opts: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(HopStagesKey.StringSlice(stages), HopKindKey.String(kind))},
		waits: waits,
	}
}
