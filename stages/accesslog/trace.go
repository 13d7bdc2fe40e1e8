package accesslog

import (
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/tracing"
	"go.uber.org/zap"
)

// appendTrace adds trace_id and span_id, the request's server span's, to
// fields if the request is traced.
func appendTrace(fields []zap.Field, ex *actors.Exchange) []zap.Field {
	return append(fields, tracing.LogFields(ex.SpanContext())...)
}
