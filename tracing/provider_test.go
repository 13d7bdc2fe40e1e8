package tracing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe/tracing"
)

func TestValidate(t *testing.T) {
	half, over := 0.5, 1.5
	for _, tt := range []struct {
		give tracing.Config
		want string // "" for valid
	}{
		{tracing.Config{}, ""},
		{tracing.Config{Exporter: tracing.ExporterGRPC, Endpoint: "collector:4317", SampleRatio: &half}, ""},
		{tracing.Config{Endpoint: "https://collector.example/v1/traces"}, ""},
		{tracing.Config{Endpoint: "[::1]:4318"}, ""},
		{tracing.Config{Exporter: "jaeger"}, `exporter: unknown exporter "jaeger"`},
		{tracing.Config{Endpoint: "collector"}, "neither a URL nor host:port"},
		{tracing.Config{Endpoint: "udp://collector:1"}, "not an http or https URL"},
		{tracing.Config{SampleRatio: &over}, "sample_ratio: 1.5 is not between 0 and 1"},
	} {
		err := tt.give.Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.give, err, tt.want)
		}
	}
}

func TestOnHonoursOTELSDKDisabled(t *testing.T) {
	if (tracing.Config{}).On() {
		t.Error("the zero Config is on")
	}
	t.Setenv("OTEL_SDK_DISABLED", "true")
	if (tracing.Config{Enabled: true}).On() {
		t.Error("on with OTEL_SDK_DISABLED=true")
	}
}

// A provider makes spans only between Start and Stop, and Stop flushes
// them to the collector and ends its goroutines (TestMain checks).
func TestProviderLifecycle(t *testing.T) {
	var exports atomic.Int64
	col := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/traces" {
			exports.Add(1)
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer col.Close()
	for _, tt := range []struct {
		exporter, endpoint string
		export             bool // end a span, which Stop exports
	}{
		{tracing.ExporterHTTP, col.URL, true},
		// Nothing to export: a gRPC exporter that would fail to connect
		// and retry on past Stop's context is not what this tests.
		{tracing.ExporterGRPC, "127.0.0.1:1", false},
	} {
		t.Run(tt.exporter, func(t *testing.T) {
			p := tracing.NewProvider(tracing.Config{Enabled: true, Exporter: tt.exporter, Endpoint: tt.endpoint, Insecure: true})
			_, before := p.Tracer("test").Start(context.Background(), "before")
			if before.IsRecording() {
				t.Error("a span before Start records")
			}
			if err := p.Start(nil); err != nil {
				t.Fatal(err)
			}
			if err := p.Start(nil); err == nil {
				t.Error("a second Start succeeded")
			}
			_, during := p.Tracer("test").Start(context.Background(), "during")
			if !during.IsRecording() || p.SDK() == nil {
				t.Error("a span after Start does not record")
			}
			if tt.export {
				during.End()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := p.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			if p.SDK() != nil {
				t.Error("the SDK provider is still there after Stop")
			}
			if err := p.Stop(ctx); err != nil {
				t.Errorf("a second Stop = %v", err)
			}
		})
	}
	if n := exports.Load(); n != 1 {
		t.Errorf("%d exports, want the one Stop flushed", n)
	}
}
