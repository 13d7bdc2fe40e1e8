package config

import (
	"strconv"
	"strings"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/tracing"
	"go.yaml.in/yaml/v3"
)

// tracingKeys are the keys of the section tracing.
var tracingKeys = []string{"enabled", "exporter", "endpoint", "insecure", "headers", "sample_ratio", "service_name", "trace_response"}

// tracing reads the section tracing (package tracing's Config).
func (p *parser) tracing(n *yaml.Node) {
	f := p.fields(n, "tracing", tracingKeys...)
	t := &p.cfg.Tracing
	t.Enabled = p.flag(f.get("enabled"), "tracing.enabled")
	t.Insecure = p.flag(f.get("insecure"), "tracing.insecure")
	t.TraceResponse = p.flag(f.get("trace_response"), "tracing.trace_response")
	if s, ok := p.str(f.get("exporter"), "tracing.exporter"); ok && s != "" {
		if s != tracing.ExporterHTTP && s != tracing.ExporterGRPC {
			p.errorf(f.get("exporter"), "tracing.exporter: unknown exporter %q (want %s or %s)", s, tracing.ExporterHTTP, tracing.ExporterGRPC)
		} else {
			t.Exporter = s
		}
	}
	if s, ok := p.str(f.get("endpoint"), "tracing.endpoint"); ok && s != "" {
		if err := (tracing.Config{Endpoint: s}).Validate(); err != nil {
			p.errorf(f.get("endpoint"), "tracing.%s", err)
		} else {
			t.Endpoint = s
		}
	}
	if s, ok := p.str(f.get("service_name"), "tracing.service_name"); ok {
		t.ServiceName = s
	}
	if s, ok := p.str(f.get("sample_ratio"), "tracing.sample_ratio"); ok && s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v >= 0 && v <= 1) {
			p.errorf(f.get("sample_ratio"), "tracing.sample_ratio must be a number from 0 to 1, got %q", s)
		} else {
			t.SampleRatio = &v
		}
	}
	for _, kv := range p.pairs(f.get("headers"), "tracing.headers") {
		v, ok := p.str(kv.value, "tracing.headers."+kv.key.Value)
		if !ok {
			continue
		}
		if t.Headers == nil {
			t.Headers = map[string]string{}
		}
		t.Headers[strings.ToLower(kv.key.Value)] = v
	}
}

// tracingOptions returns the options that make an app trace as the
// section tracing says, and the provider to add to it as its first
// component; none when tracing is off.
func (c *Config) tracingOptions() ([]troupe.Option, troupe.Component) {
	if !c.Tracing.On() {
		return nil, nil
	}
	p := tracing.NewProvider(c.Tracing)
	opts := []troupe.Option{troupe.WithTracerProvider(p)}
	if c.Tracing.TraceResponse {
		opts = append(opts, troupe.WithTraceResponse())
	}
	return opts, p
}
