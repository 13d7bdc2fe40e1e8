package tracing

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"
	"sync/atomic"

	"github.com/troupe-go/troupe/actors"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"
)

// Provider is the TracerProvider a Config describes: an OpenTelemetry SDK
// provider with an OTLP exporter behind a batch span processor. It is a
// troupe.Component: Start builds the SDK provider and its exporter (it
// connects lazily, on the first export), Stop flushes the spans buffered
// and shuts them down. Before Start and after Stop its tracers make no
// spans. It is safe for concurrent use.
type Provider struct {
	embedded.TracerProvider

	cfg Config
	sdk atomic.Pointer[sdktrace.TracerProvider]
}

// NewProvider returns the provider cfg describes, not started. cfg should
// have passed Validate.
func NewProvider(cfg Config) *Provider { return &Provider{cfg: cfg} }

// Tracer implements trace.TracerProvider.
func (p *Provider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	if tp := p.sdk.Load(); tp != nil {
		return tp.Tracer(name, opts...)
	}
	return noop.NewTracerProvider().Tracer(name, opts...)
}

// Start builds the SDK provider and its exporter. The actor system is not
// used: the SDK runs its own goroutine, which Stop ends.
func (p *Provider) Start(*actors.System) error {
	if p.sdk.Load() != nil {
		return errors.New("tracing: the provider was started twice")
	}
	if err := p.cfg.Validate(); err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	exp, err := newExporter(context.Background(), p.cfg)
	if err != nil {
		return fmt.Errorf("tracing: the %s exporter: %w", exporterName(p.cfg), err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(serviceName(p.cfg))))
	if err != nil {
		return errors.Join(fmt.Errorf("tracing: the resource: %w", err), exp.Shutdown(context.Background()))
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(exp), sdktrace.WithResource(res)}
	if r := p.cfg.SampleRatio; r != nil {
		opts = append(opts, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(*r))))
	} // else the SDK reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG
	if tp := sdktrace.NewTracerProvider(opts...); !p.sdk.CompareAndSwap(nil, tp) { // started meanwhile
		return errors.Join(errors.New("tracing: the provider was started twice"), tp.Shutdown(context.Background()))
	}
	return nil
}

// Stop flushes the spans buffered and shuts the provider down, waiting at
// most until ctx ends. If ctx ends first, an export under way finishes on
// its own goroutine, within the exporter's timeout
// (OTEL_EXPORTER_OTLP_TIMEOUT, 10 s by default).
func (p *Provider) Stop(ctx context.Context) error {
	tp := p.sdk.Swap(nil)
	if tp == nil {
		return nil
	}
	if err := tp.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: flushing spans: %w", err)
	}
	return nil
}

// SDK returns the SDK provider Start built, or nil before Start and after
// Stop: for a program that adds span processors of its own.
func (p *Provider) SDK() *sdktrace.TracerProvider { return p.sdk.Load() }

// exporterName returns cfg's exporter, ExporterHTTP by default.
func exporterName(cfg Config) string {
	if cfg.Exporter == "" {
		return ExporterHTTP
	}
	return cfg.Exporter
}

// serviceName returns the service.name for cfg: its own, else
// OTEL_SERVICE_NAME's (which resource.Default has, and this must not
// hide), else "troupe".
func serviceName(cfg Config) string {
	if cfg.ServiceName != "" {
		return cfg.ServiceName
	}
	if v, ok := resource.Default().Set().Value(semconv.ServiceNameKey); ok && !strings.HasPrefix(v.AsString(), "unknown_service") {
		return v.AsString()
	}
	return "troupe"
}

// newExporter returns cfg's OTLP exporter. Options it leaves out are the
// OTEL_EXPORTER_OTLP_* variables', which the exporter reads itself.
func newExporter(ctx context.Context, cfg Config) (sdktrace.SpanExporter, error) {
	url := strings.Contains(cfg.Endpoint, "://")
	if exporterName(cfg) == ExporterGRPC {
		var opts []otlptracegrpc.Option
		switch {
		case url:
			opts = append(opts, otlptracegrpc.WithEndpointURL(cfg.Endpoint))
		case cfg.Endpoint != "":
			opts = append(opts, otlptracegrpc.WithEndpoint(cfg.Endpoint))
		}
		if cfg.Insecure && !url {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		if len(cfg.Headers) > 0 {
			opts = append(opts, otlptracegrpc.WithHeaders(cfg.Headers))
		}
		return otlptracegrpc.New(ctx, opts...)
	}
	var opts []otlptracehttp.Option
	switch {
	case url:
		opts = append(opts, otlptracehttp.WithEndpointURL(tracesURL(cfg.Endpoint)))
	case cfg.Endpoint != "":
		opts = append(opts, otlptracehttp.WithEndpoint(cfg.Endpoint))
	}
	if cfg.Insecure && !url {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	if len(cfg.Headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(cfg.Headers))
	}
	return otlptracehttp.New(ctx, opts...)
}

// tracesURL returns the OTLP/HTTP endpoint u with the traces path,
// /v1/traces, if it has no path of its own.
func tracesURL(u string) string {
	parsed, err := neturl.Parse(u)
	if err != nil || strings.Trim(parsed.Path, "/") != "" {
		return u
	}
	parsed.Path = "/v1/traces"
	return parsed.String()
}
