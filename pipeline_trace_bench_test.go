//go:build unix

package troupe_test

import (
	"context"
	"net/http"
	"syscall"
	"testing"
	"time"

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
//
// Besides ns/op it reports cpu-ns/op, the process's user+sys CPU time per
// request (getrusage): on a shared machine, wall time per op also counts
// the time other processes had the CPU, and the SDK's batch span
// processor works on a goroutine of its own, whose CPU belongs in the
// figure.
func BenchmarkPipelineTracing(b *testing.B) {
	b.Run("off/taught/stages=5", func(b *testing.B) { benchCPU(b, troupePipelineOf(b, 5, true)) })
	for _, tc := range []struct {
		name  string
		ratio float64
	}{{"sampled=1%", 0.01}, {"sampled=100%", 1}} {
		b.Run(tc.name+"/taught/stages=5", func(b *testing.B) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()),
				sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(tc.ratio))))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			benchCPU(b, troupePipelineOf(b, 5, true, troupe.WithTracerProvider(tp)))
		})
	}
}

// benchCPU is benchSerial, reporting the process's CPU time per request
// as cpu-ns/op.
func benchCPU(b *testing.B, h http.Handler) {
	before := processCPU(b)
	benchSerial(b, h)
	b.ReportMetric(float64(processCPU(b)-before)/float64(b.N), "cpu-ns/op")
}

// processCPU returns the process's user+sys CPU time so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
