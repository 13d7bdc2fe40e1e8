package config_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/tracing"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
)

func TestParseTracing(t *testing.T) {
	give := `tracing:
  enabled: true
  exporter: otlp-grpc
  endpoint: collector:4317
  insecure: true
  headers: {X-Api-Key: secret}
  sample_ratio: 0.01
  service_name: checkout
  trace_response: true
routes: [{method: GET, path: /, handler: ok}]
`
	cfg, err := config.Parse("tracing.yaml", []byte(give), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Tracing
	if !got.Enabled || got.Exporter != tracing.ExporterGRPC || got.Endpoint != "collector:4317" || !got.Insecure ||
		got.Headers["x-api-key"] != "secret" || got.SampleRatio == nil || *got.SampleRatio != 0.01 ||
		got.ServiceName != "checkout" || !got.TraceResponse {
		t.Errorf("Tracing = %+v", got)
	}
	cfg, err = config.Parse("tracing.yaml", []byte("routes: [{method: GET, path: /, handler: ok}]\n"), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Tracing.Enabled || cfg.Tracing.SampleRatio != nil {
		t.Errorf("without the section, Tracing = %+v, want off with the sampler left to the environment", cfg.Tracing)
	}
}

func TestParseTracingErrors(t *testing.T) {
	tests := []struct{ give, want string }{
		{"tracing:\n  exporter: zipkin\n", `tracing.yaml:2: tracing.exporter: unknown exporter "zipkin" (want otlp-http or otlp-grpc)`},
		{"tracing:\n  enabled: yes\n", `tracing.yaml:2: tracing.enabled must be true or false, got "yes"`},
		{"tracing:\n  sample_ratio: 1.5\n", `tracing.yaml:2: tracing.sample_ratio must be a number from 0 to 1, got "1.5"`},
		{"tracing:\n  sample_ratio: lots\n", `tracing.yaml:2: tracing.sample_ratio must be a number from 0 to 1, got "lots"`},
		{"tracing:\n  endpoint: ftp://collector\n", `tracing.yaml:2: tracing.endpoint: "ftp://collector" is not an http or https URL with a host`},
		{"tracing:\n  endpoint: collector\n", `tracing.yaml:2: tracing.endpoint: "collector" is neither a URL nor host:port`},
		{"tracing:\n  headers: [a]\n", "tracing.yaml:2: tracing.headers must be a mapping"},
		{"tracing:\n  sampler: always\n", `tracing.yaml:2: unknown key "sampler" in tracing`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := config.Parse("tracing.yaml", []byte(tt.give+"routes: [{method: GET, path: /, handler: ok}]\n"), testRegistry())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) = %v, want %q…", tt.give, err, tt.want)
			}
		})
	}
}

// collector is an OTLP/HTTP receiver on loopback: it keeps the names of
// the spans exported to it, by trace id.
type collector struct {
	mu    sync.Mutex
	spans []string // "TRACEID NAME"
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req collectortrace.ExportTraceServiceRequest
	if err != nil || r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				c.spans = append(c.spans, string(s.Name))
			}
		}
	}
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// TestTracingExportsOverOTLP: an app built from a file with tracing on
// exports its spans to the endpoint the file names, flushed when it stops.
func TestTracingExportsOverOTLP(t *testing.T) {
	col := &collector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	give := `server: {addr: "127.0.0.1:0"}
admin: {addr: "off"}
tracing:
  enabled: true
  endpoint: ` + srv.URL + `
  trace_response: true
routes: [{method: GET, path: /hello, handler: ok}]
`
	cfg, err := config.Parse("tracing.yaml", []byte(give), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	app := cfg.Build(troupe.WithLogger(zap.NewNop()))
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	res, err := (&http.Client{Transport: tr}).Get("http://" + app.Addr().String() + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	tr.CloseIdleConnections()
	if res.Header.Get("Traceresponse") == "" {
		t.Error("no traceresponse header, with trace_response: true")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Shutdown(ctx); err != nil { // flushes the spans
		t.Fatal(err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	want := map[string]bool{"GET /hello": true, "hop GET /hello": true}
	for _, name := range col.spans {
		delete(want, name)
	}
	if len(want) > 0 {
		t.Errorf("exported %q: missing %v", col.spans, want)
	}
}
