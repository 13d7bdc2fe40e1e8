package accesslog_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/stages/accesslog"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestTraceIDInTheLine: the line of a traced request carries its server
// span's trace_id and span_id; the line of one head sampling left out
// carries neither.
func TestTraceIDInTheLine(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		core, logs := observer.New(zap.InfoLevel)
		rec := tracetest.NewSpanRecorder()
		sampler := sdktrace.NeverSample()
		if sampled {
			sampler = sdktrace.AlwaysSample()
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(sampler))
		app := troupe.New(troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0"}, Admin: troupe.AdminConfig{Addr: "off"}},
			troupe.WithLogger(zap.NewNop()), troupe.WithTracerProvider(tp))
		spec, err := accesslog.New("access-log", accesslog.Config{Logger: zap.New(core)})
		if err != nil {
			t.Fatal(err)
		}
		app.Use(spec)
		app.GET("/t", ok)
		if err := app.Start(); err != nil {
			t.Fatal(err)
		}
		tr := &http.Transport{}
		res, err := (&http.Client{Transport: tr}).Get("http://" + app.Addr().String() + "/t")
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := app.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		_ = tp.Shutdown(context.Background())

		lines := logs.FilterMessage("request").All()
		if len(lines) != 1 {
			t.Fatalf("sampled %v: %d lines, want 1", sampled, len(lines))
		}
		fields := lines[0].ContextMap()
		if !sampled {
			if _, ok := fields["trace_id"]; ok {
				t.Errorf("an unsampled request's line has trace_id: %v", fields)
			}
			continue
		}
		spans := rec.Ended()
		var server sdktrace.ReadOnlySpan
		for _, s := range spans {
			if s.Name() == "GET /t" {
				server = s
			}
		}
		if server == nil {
			t.Fatal("no server span")
		}
		if fields["trace_id"] != server.SpanContext().TraceID().String() || fields["span_id"] != server.SpanContext().SpanID().String() {
			t.Errorf("line %v, want trace_id %s span_id %s", fields, server.SpanContext().TraceID(), server.SpanContext().SpanID())
		}
	}
}
