package pipeline

import (
	"time"

	"github.com/troupe-go/troupe/internal/tracing"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// SetTrace gives ex the spans of its request, a request that is traced:
// Serve then records a span for each hop it visits (see package
// internal/tracing for their names), the waits for a stateful stage's
// actor or a concurrency slot, and a stage's panic; Context carries the
// span of the hop ex is in. The ingress calls it; an exchange without it
// (tracing off, or a request head sampling left out) records nothing.
func SetTrace(ex *Exchange, r *tracing.Request) { ex.trace = r }

// SpanContext returns the span context of the request's server span: valid
// and sampled when the request is traced, the zero SpanContext otherwise
// (tracing off, or a request head sampling left out). A stage that logs
// puts its trace id in its lines (the access log does).
func (ex *Exchange) SpanContext() trace.SpanContext {
	if ex.trace == nil {
		return trace.SpanContext{}
	}
	return ex.trace.SpanContext()
}

// logFields returns fields, with trace_id and span_id added when the
// exchange is traced.
func (ex *Exchange) logFields(fields ...zap.Field) []zap.Field {
	if ex.trace == nil {
		return fields
	}
	return append(fields, tracing.LogFields(ex.trace.SpanContext())...)
}

// acquireTraced is acquire, counting the time it takes as the exchange's
// wait in its hop when the exchange is traced.
func (l *limit) acquireTraced(ex *Exchange, stage string) error {
	if ex.trace == nil {
		return l.acquire(ex, stage)
	}
	start := time.Now()
	err := l.acquire(ex, stage)
	ex.trace.Waited(time.Since(start))
	return err
}
