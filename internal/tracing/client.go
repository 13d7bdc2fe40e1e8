package tracing

import (
	"net/http"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// propagated are the headers Propagator writes: an outgoing request loses
// the ones it came with before they are written.
var propagated = []string{"Traceparent", "Tracestate", "Baggage"}

// Client is the span of one upstream attempt. A nil *Client is no span.
type Client struct {
	span trace.Span
}

// StartClient starts the client span of out, one attempt at an upstream
// (resend is how many attempts went before it), as a child of the span in
// out's context, and writes its trace context and baggage into out's
// header, which it first copies (the caller's stays as it was). Without a
// span in out's context (tracing off, or a caller that has none) it does
// nothing and returns nil; with a span head sampling left out, it
// propagates that span's context (not sampled) and returns nil.
func StartClient(out *http.Request, resend int) *Client {
	ctx := out.Context()
	parent := trace.SpanFromContext(ctx)
	if !parent.SpanContext().IsValid() {
		return nil
	}
	out.Header = out.Header.Clone()
	if out.Header == nil {
		out.Header = http.Header{}
	}
	for _, k := range propagated {
		delete(out.Header, k)
	}
	if !parent.IsRecording() {
		Propagator.Inject(ctx, propagation.HeaderCarrier(out.Header))
		return nil
	}
	host, port := splitHostPort(out.URL.Host)
	attrs := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		semconv.HTTPRequestMethodKey.String(methodName(out.Method)),
		semconv.URLFull(redacted(out)),
		semconv.ServerAddress(host),
	)}
	if port > 0 {
		attrs = append(attrs, trace.WithAttributes(semconv.ServerPort(port)))
	}
	if resend > 0 {
		attrs = append(attrs, trace.WithAttributes(semconv.HTTPRequestResendCount(resend)))
	}
	tr := parent.TracerProvider().Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))
	ctx, span := tr.Start(ctx, methodName(out.Method), attrs...)
	Propagator.Inject(ctx, propagation.HeaderCarrier(out.Header))
	return &Client{span: span}
}

// redacted returns out's URL without its query (it may hold tokens) or
// user information.
func redacted(out *http.Request) string {
	u := *out.URL
	u.User, u.RawQuery, u.ForceQuery = nil, "", false
	return u.String()
}

// End ends the span with the upstream's status (0: none came), or the
// error that ended the attempt. A 5xx or an error is an error.
func (c *Client) End(status int, err error) {
	if c == nil {
		return
	}
	if status > 0 {
		c.span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	}
	switch {
	case err != nil:
		c.span.SetAttributes(semconv.ErrorTypeKey.String(errorType(err)))
		c.span.SetStatus(codes.Error, err.Error())
	case status >= 500:
		c.span.SetAttributes(semconv.ErrorTypeKey.String(http.StatusText(status)))
		c.span.SetStatus(codes.Error, http.StatusText(status))
	}
	c.span.End()
}
