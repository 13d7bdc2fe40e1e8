package tracing

import (
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// LogFields returns the log fields trace_id and span_id for sc, or nil if
// sc is not sampled: a line about a request that is traced names its
// trace, and no other line pays for it.
func LogFields(sc trace.SpanContext) []zap.Field {
	if !sc.IsSampled() {
		return nil
	}
	return []zap.Field{zap.String("trace_id", sc.TraceID().String()), zap.String("span_id", sc.SpanID().String())}
}
