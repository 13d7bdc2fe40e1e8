package tracing

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of troupe's spans.
const ScopeName = "github.com/troupe-go/troupe"

// Propagator carries W3C trace context (traceparent, tracestate) and
// baggage in and out of HTTP headers.
var Propagator propagation.TextMapPropagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// Tracer starts the server spans of an ingress. A nil *Tracer is tracing
// off.
type Tracer struct {
	tracer        trace.Tracer
	traceResponse bool
}

// New returns a tracer for tp, or nil (tracing off) if tp is nil.
// traceResponse makes the ingress answer with a traceresponse header (see
// Start).
func New(tp trace.TracerProvider, traceResponse bool) *Tracer {
	if tp == nil {
		return nil
	}
	return &Tracer{tracer: tp.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL)), traceResponse: traceResponse}
}

// Start extracts r's trace context and baggage and starts its server span,
// named after its method until SetRoute names its route. It returns r's
// context carrying the span and baggage, and the *Request that records the
// request's spans, or nil if the span does not record (head sampling left
// it out): such a request is only propagated.
//
// With traceResponse, the response carries the header traceresponse (W3C
// Trace Context Level 2, a draft: "00-TRACEID-SPANID-FLAGS") naming the
// server span, so that a client can find its request's trace. It is not
// traceparent: a response has no child.
func (t *Tracer) Start(r *http.Request, w http.ResponseWriter) (context.Context, *Request) {
	ctx := r.Context()
	if len(r.Header["Traceparent"]) > 0 || len(r.Header["Baggage"]) > 0 { // else there is nothing to extract
		ctx = Propagator.Extract(ctx, requestCarrier(r.Header))
	}
	ctx, span := t.tracer.Start(ctx, methodName(r.Method), serverSpan...)
	if t.traceResponse {
		if sc := span.SpanContext(); sc.IsValid() {
			w.Header().Set("Traceresponse", traceparent(sc))
		}
	}
	if !span.IsRecording() {
		return ctx, nil
	}
	span.SetAttributes(serverAttributes(r)...)
	return ctx, &Request{span: span, ctx: ctx, tracer: t.tracer, method: methodName(r.Method)}
}

// serverSpan are the options of every server span, made once.
var serverSpan = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}

// requestCarrier is a request's header as the propagators read it,
// without canonicalising the keys they ask for on every request.
type requestCarrier http.Header

// Get implements propagation.TextMapCarrier.
func (c requestCarrier) Get(key string) string {
	var v []string
	switch key {
	case "traceparent":
		v = c["Traceparent"]
	case "tracestate":
		v = c["Tracestate"]
	case "baggage":
		v = c["Baggage"]
	default:
		return http.Header(c).Get(key)
	}
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// Values implements propagation.ValuesGetter: every line of a header, as
// baggage may come in several.
func (c requestCarrier) Values(key string) []string { return http.Header(c).Values(key) }

// Set implements propagation.TextMapCarrier; extraction never sets.
func (c requestCarrier) Set(key, value string) { http.Header(c).Set(key, value) }

// Keys implements propagation.TextMapCarrier.
func (c requestCarrier) Keys() []string { return propagation.HeaderCarrier(c).Keys() }

// traceparent renders sc as a traceparent value.
func traceparent(sc trace.SpanContext) string {
	return "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + sc.TraceFlags().String()
}
