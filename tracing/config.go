package tracing

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// The exporters Config.Exporter names.
const (
	// ExporterHTTP is OTLP over HTTP with protobuf bodies (port 4318).
	ExporterHTTP = "otlp-http"
	// ExporterGRPC is OTLP over gRPC (port 4317).
	ExporterGRPC = "otlp-grpc"
)

// Config says whether and where a server exports its traces. The zero
// value is tracing off.
type Config struct {
	// Enabled turns tracing on.
	Enabled bool
	// Exporter is ExporterHTTP (the default) or ExporterGRPC.
	Exporter string
	// Endpoint is where spans go: a URL ("http://collector:4318", whose
	// scheme says whether to use TLS; for otlp-http its path is the
	// traces path, /v1/traces if it has none) or host:port. Empty: the OTEL_EXPORTER_OTLP_*
	// variables, else the exporter's default (localhost:4318 or :4317).
	Endpoint string
	// Insecure sends to a host:port Endpoint in plaintext, without TLS.
	Insecure bool
	// Headers are sent with every export (an API key).
	Headers map[string]string
	// SampleRatio, if set, is head sampling: a request continues its
	// caller's decision (traceparent's sampled flag) and a new trace is
	// recorded with this probability, 0 to 1. Nil: OTEL_TRACES_SAMPLER
	// and OTEL_TRACES_SAMPLER_ARG, else every trace.
	SampleRatio *float64
	// ServiceName is the service.name of the spans. Empty:
	// OTEL_SERVICE_NAME, else "troupe".
	ServiceName string
	// TraceResponse makes answers carry the traceresponse header (see
	// troupe.WithTraceResponse).
	TraceResponse bool
}

// On reports whether tracing is on: Enabled, and OTEL_SDK_DISABLED is not
// "true".
func (c Config) On() bool {
	if !c.Enabled {
		return false
	}
	off, _ := strconv.ParseBool(os.Getenv("OTEL_SDK_DISABLED"))
	return !off
}

// Validate reports what is wrong with c, if anything: an unknown
// exporter, an endpoint that is neither a URL nor host:port, a sample
// ratio outside 0 to 1.
func (c Config) Validate() error {
	var errs []error
	switch c.Exporter {
	case "", ExporterHTTP, ExporterGRPC:
	default:
		errs = append(errs, fmt.Errorf("exporter: unknown exporter %q (want %s or %s)", c.Exporter, ExporterHTTP, ExporterGRPC))
	}
	if err := checkEndpoint(c.Endpoint); err != nil {
		errs = append(errs, err)
	}
	if r := c.SampleRatio; r != nil && !(*r >= 0 && *r <= 1) {
		errs = append(errs, fmt.Errorf("sample_ratio: %v is not between 0 and 1", *r))
	}
	return errors.Join(errs...)
}

// checkEndpoint reports an endpoint that is neither empty, an http(s) URL
// with a host, nor host:port.
func checkEndpoint(e string) error {
	if e == "" {
		return nil
	}
	if strings.Contains(e, "://") {
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("endpoint: %q is not an http or https URL with a host", e)
		}
		return nil
	}
	if _, port, err := net.SplitHostPort(e); err != nil || port == "" || strings.ContainsAny(e, "/?#") {
		return fmt.Errorf("endpoint: %q is neither a URL nor host:port", e)
	}
	return nil
}
