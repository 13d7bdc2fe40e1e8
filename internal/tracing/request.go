package tracing

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Request records the spans of one sampled request: its server span and
// the spans of the hops it is in. Like the exchange it belongs to, it has
// one owner at a time (whoever holds the exchange) and is not safe for
// concurrent use.
type Request struct {
	span   trace.Span
	ctx    context.Context // carries span and the request's baggage
	tracer trace.Tracer
	method string
	hops   []hop // the hops entered and not yet left, outermost first
	sent   time.Time
	buf    [4]hop // hops' first array: most itineraries have a few hops

	// The last context Context made, for the base and the hop it was made
	// from: stages that ask again in the same hop get the same one. gen
	// counts the hops entered and left, so that a new hop's span is never
	// taken for the old one's.
	base, derived context.Context
	gen, of       int
}

// hop is the span of a hop the exchange is in.
type hop struct {
	span  trace.Span
	ctx   context.Context
	wait  time.Duration
	waits bool // the hop can make the exchange wait: its wait is an attribute
}

// SpanContext returns the server span's context.
func (r *Request) SpanContext() trace.SpanContext { return r.span.SpanContext() }

// SetRoute names the server span after the route the request matched
// (METHOD ROUTE) and sets http.route.
func (r *Request) SetRoute(route string) {
	if route == "" {
		return
	}
	r.span.SetName(r.method + " " + route)
	r.span.SetAttributes(semconv.HTTPRoute(route))
}

// current returns the innermost open span and its context: the hop the
// exchange is in, or the server span.
func (r *Request) current() (trace.Span, context.Context) {
	if n := len(r.hops); n > 0 {
		return r.hops[n-1].span, r.hops[n-1].ctx
	}
	return r.span, r.ctx
}

// StartHop starts the span of the hop the exchange enters, a child of the
// hop it is in.
func (r *Request) StartHop(h *Hop) {
	_, parent := r.current()
	ctx, span := r.tracer.Start(parent, h.name, h.opts...)
	if r.hops == nil {
		r.hops = r.buf[:0]
	}
	r.hops = append(r.hops, hop{span: span, ctx: ctx, waits: h.waits})
	r.gen++
}

// Waited adds d to the time the exchange waited in the hop it is in.
func (r *Request) Waited(d time.Duration) {
	if n := len(r.hops); n > 0 {
		r.hops[n-1].wait += d
	}
}

// Sent records that the exchange is being handed to a stateful stage's
// actor; Received, called by the actor, counts the time since as a wait.
func (r *Request) Sent() { r.sent = time.Now() }

// Received counts the time since Sent as the exchange's wait for the
// actor.
func (r *Request) Received() {
	if !r.sent.IsZero() {
		r.Waited(time.Since(r.sent))
		r.sent = time.Time{}
	}
}

// Panicked records that stage panicked with v in the hop the exchange is
// in: the event "restart" (the stage's actor is restarted) and an error
// status.
func (r *Request) Panicked(stage string, v any) {
	span, _ := r.current()
	msg := fmt.Sprint(v)
	span.AddEvent(RestartEvent, trace.WithAttributes(StageKey.String(stage), semconv.ExceptionMessage(msg)))
	span.SetStatus(codes.Error, "stage "+stage+" panicked")
}

// EndHops ends the spans of the hops from depth on: the exchange has left
// them, on its way back.
func (r *Request) EndHops(depth int) {
	for len(r.hops) > depth {
		h := r.hops[len(r.hops)-1]
		if h.waits {
			h.span.SetAttributes(HopQueueWaitKey.Float64(h.wait.Seconds()))
		}
		h.span.End()
		r.hops[len(r.hops)-1] = hop{}
		r.hops = r.hops[:len(r.hops)-1]
		r.gen++
	}
}

// Context returns base carrying the span of the hop the exchange is in
// (or the server span): what a stage calling out passes on, so that an
// upstream's client span is a child of its hop.
func (r *Request) Context(base context.Context) context.Context {
	if r.derived == nil || r.gen != r.of || !sameContext(base, r.base) {
		span, _ := r.current()
		r.base, r.of, r.derived = base, r.gen, trace.ContextWithSpan(base, span)
	}
	return r.derived
}

// End ends the hops' spans left open and the server span, with the
// status the client got (499: it went away first). A 5xx is an error.
func (r *Request) End(status int) {
	r.EndHops(0)
	if status > 0 {
		r.span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	}
	if status >= 500 {
		r.span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(status)))
		r.span.SetStatus(codes.Error, http.StatusText(status))
	}
	r.span.End()
	r.base, r.derived = nil, nil
}

// sameContext reports whether a and b are the same context; a context of
// a type that cannot be compared (a struct holding a map) is never the
// same.
func sameContext(a, b context.Context) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}
