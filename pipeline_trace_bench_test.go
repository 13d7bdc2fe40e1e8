package troupe_test

import (
	"context"
	"testing"

	"github.com/troupe-go/troupe"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// BenchmarkPipelineTracing measures what tracing adds to the taught
// pipeline of BenchmarkPipeline (five stages, one Stateful, the handler
// from app.GET): off (no TracerProvider: the nil check), and on with the
// SDK's ParentBased(TraceIDRatioBased) head sampling at 1% and at 100%,
// its spans going through the SDK's batch span processor to an exporter
// that drops them (what an OTLP exporter costs happens off the request's
// goroutine, and is not the request's). The requests carry no
// traceparent: each is the root of a new trace.
func BenchmarkPipelineTracing(b *testing.B) {
	b.Run("off/taught/stages=5", func(b *testing.B) { benchSerial(b, troupePipelineOf(b, 5, true)) })
	for _, tc := range []struct {
		name  string
		ratio float64
	}{{"sampled=1%", 0.01}, {"sampled=100%", 1}} {
		b.Run(tc.name+"/taught/stages=5", func(b *testing.B) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()),
				sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(tc.ratio))))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			benchSerial(b, troupePipelineOf(b, 5, true, troupe.WithTracerProvider(tp)))
		})
	}
}
