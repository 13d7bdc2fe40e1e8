package troupe

import (
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/internal/tracing"
	"go.opentelemetry.io/otel/trace"
)

// traceConfig is how the app traces: WithTracerProvider and
// WithTraceResponse set it.
type traceConfig struct {
	provider trace.TracerProvider
	response bool
}

// WithTracerProvider makes the app trace its requests with OpenTelemetry
// spans from tp: a server span per request, with the W3C trace context and
// baggage of its headers; a span per hop of its itinerary; a client span
// per upstream attempt, whose trace context goes upstream in traceparent;
// a span per batch call, linked to its items' spans. The spans' names and
// attributes are stable: see docs/ARCHITECTURE.md, "Tracing". The access
// log and the pipeline's error lines then carry trace_id and span_id for
// sampled requests. tp's sampler decides which requests are recorded; the
// app does not shut tp down. A nil tp, the default, leaves tracing off,
// which costs a nil check per request.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(a *App) { a.trace.provider = tp })
}

// WithTraceResponse makes every traced response carry a traceresponse
// header (W3C Trace Context Level 2, a draft: "00-TRACEID-SPANID-FLAGS")
// naming its server span, so that a client can find its trace. It is not
// traceparent, which a response has no use for. Off by default.
func WithTraceResponse() Option {
	return optionFunc(func(a *App) { a.trace.response = true })
}

// tracing returns the ingress option that traces its requests, as
// WithTracerProvider set it.
func (a *App) tracing() httpin.IngressOption {
	return httpin.WithTracer(tracing.New(a.trace.provider, a.trace.response))
}
