package bench

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.uber.org/zap"

	"github.com/troupe-go/troupe"
)

// Traced is the taught peer (NewTroupeAsTaught) with tracing on: head
// sampling ParentBased(TraceIDRatioBased(ratio)), the spans going through
// the SDK's batch span processor and the OTLP/HTTP exporter to a collector
// on loopback, in this process, that reads and drops them. Exporting is
// part of what tracing costs, and its CPU is this process's: it is in the
// figures. Shutdown flushes the spans and stops the collector.
type Traced struct {
	*Troupe
	tp        *sdktrace.TracerProvider
	collector *httptest.Server
	exports   atomic.Int64
}

// NewTraced returns the taught peer with stages stages, traced with
// sampling ratio ratio (0 to 1).
func NewTraced(stages int, log *zap.Logger, ratio float64) (*Traced, error) {
	p := &Traced{}
	p.collector = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		p.exports.Add(1)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	col := p.collector
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(col.URL+"/v1/traces"))
	if err != nil {
		col.Close()
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))))
	p.Troupe, p.tp = newTroupeAsTaught(stages, log, troupe.WithTracerProvider(tp)), tp
	return p, nil
}

// Exports returns how many exports the collector has received.
func (p *Traced) Exports() int64 { return p.exports.Load() }

// Shutdown stops the app, then flushes the spans and stops the collector.
func (p *Traced) Shutdown(ctx context.Context) error {
	err := errors.Join(p.Troupe.Shutdown(ctx), p.tp.Shutdown(ctx))
	p.collector.Close()
	return err
}
