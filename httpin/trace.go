package httpin

import (
	"net/http"

	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/internal/tracing"
)

// WithTracer makes the ingress trace its requests with t: a server span
// per request (its trace context and baggage taken from the request's
// headers), and, for the requests head sampling keeps, a span per hop.
// A nil t leaves tracing off, which costs a nil check per request.
func WithTracer(t *tracing.Tracer) IngressOption {
	return func(in *Ingress) { in.tracer = t }
}

// serveTraced answers r within its server span. A request head sampling
// left out carries its span context (for the upstreams it calls) and
// records nothing.
func (in *Ingress) serveTraced(w http.ResponseWriter, r *http.Request) {
	ctx, tr := in.tracer.Start(r, w)
	r = r.WithContext(ctx)
	if tr == nil {
		in.serveHTTP(w, r)
		return
	}
	tw := &tracedWriter{ResponseWriter: w, tr: tr}
	defer func() { tr.End(tw.finalStatus()) }()
	in.serveHTTP(tw, r)
}

// tracedWriter is the ResponseWriter of a traced request: it keeps the
// status the client got, for the server span, and the request's spans,
// for its exchange.
type tracedWriter struct {
	http.ResponseWriter
	tr     *tracing.Request
	status int
}

// WriteHeader implements http.ResponseWriter.
func (w *tracedWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *tracedWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap returns the ResponseWriter underneath, for
// http.ResponseController.
func (w *tracedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finalStatus returns the status written, or 499 if none was: the client
// went away first.
func (w *tracedWriter) finalStatus() int {
	if w.status == 0 {
		return 499
	}
	return w.status
}

// traceExchange gives ex the spans of its request, if it is traced.
func traceExchange(w http.ResponseWriter, ex *pipeline.Exchange) {
	if tw, ok := w.(*tracedWriter); ok {
		tw.tr.SetRoute(ex.Route)
		pipeline.SetTrace(ex, tw.tr)
	}
}

// traceRoute names the server span of a traced request after its route,
// if it has one.
func traceRoute(w http.ResponseWriter, route string) {
	if tw, ok := w.(*tracedWriter); ok {
		tw.tr.SetRoute(route)
	}
}

// guardOf returns the connection guard's writer under w, or nil.
func guardOf(w http.ResponseWriter) *guardWriter {
	if tw, ok := w.(*tracedWriter); ok {
		w = tw.ResponseWriter
	}
	gw, _ := w.(*guardWriter)
	return gw
}
