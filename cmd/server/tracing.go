package main

import (
	"time"

	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/internal/loglimit"
	"go.opentelemetry.io/otel"
	"go.uber.org/zap"
)

// otelErrorLinesPerSecond bounds the lines OpenTelemetry's errors (a
// collector that cannot be reached, spans dropped) write to the log.
const otelErrorLinesPerSecond = 1

// setUpTracing sends OpenTelemetry's own errors to log, at Warn, at most
// otelErrorLinesPerSecond a second, rather than to the standard logger,
// and says where traces go when the configuration turns them on.
func setUpTracing(cfg *config.Config, log *zap.Logger) {
	if !cfg.Tracing.On() {
		return
	}
	l := loglimit.RateLimited(log.Named("tracing"), otelErrorLinesPerSecond, time.Now)
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { l.Warn("tracing failed", zap.Error(err)) }))
	exporter, endpoint := cfg.Tracing.Exporter, cfg.Tracing.Endpoint
	if exporter == "" {
		exporter = "otlp-http"
	}
	if endpoint == "" {
		endpoint = "from OTEL_EXPORTER_OTLP_ENDPOINT, else localhost"
	}
	log.Info("tracing", zap.String("exporter", exporter), zap.String("endpoint", endpoint))
}
