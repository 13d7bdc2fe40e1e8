package upstream

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/httpin"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// TestTraceparentThroughTheProxy: a real upstream on loopback gets a
// traceparent of the request's trace, naming the attempt's client span,
// itself the child of the proxy's hop; the client's own traceparent does
// not go through.
func TestTraceparentThroughTheProxy(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	backend := newUpstreamServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Traceparent"))
		mu.Unlock()
		if r.Header.Get("Baggage") != "tenant=acme" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)) // ParentBased(AlwaysSample)
	defer func() { _ = tp.Shutdown(context.Background()) }()
	a := troupe.New(troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0"}, Admin: troupe.AdminConfig{Addr: "off"}},
		troupe.WithLogger(zap.NewNop()), troupe.WithTracerProvider(tp))
	a.Handle("GET", "/p", route(t, a, "backend", Options{Config: Config{Targets: []string{backend.URL}}}).Spec("GET /p"))
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	defer func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	}()
	const clientTrace, clientSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req, _ := http.NewRequest("GET", "http://"+a.Addr().String()+"/p", nil)
	req.Header.Set("Traceparent", "00-"+clientTrace+"-"+clientSpan+"-01")
	req.Header.Set("Baggage", "tenant=acme")
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: the upstream did not get the baggage", res.StatusCode)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 {
		t.Fatalf("the upstream got %d calls", len(seen))
	}
	parts := strings.Split(seen[0], "-")
	if len(parts) != 4 || parts[1] != clientTrace || parts[3] != "01" {
		t.Fatalf("the upstream got traceparent %q, want the trace %s, sampled", seen[0], clientTrace)
	}
	if parts[2] == clientSpan {
		t.Error("the client's traceparent went upstream as it came")
	}
	var client, hop sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		switch {
		case s.SpanKind() == trace.SpanKindClient:
			client = s
		case s.Name() == "hop GET /p":
			hop = s
		}
	}
	if client == nil || hop == nil {
		t.Fatalf("spans %v: want a client span and the handler's hop", rec.Ended())
	}
	if got := client.SpanContext().SpanID().String(); got != parts[2] {
		t.Errorf("the upstream's parent span is %s, want the client span %s", parts[2], got)
	}
	if client.Parent().SpanID() != hop.SpanContext().SpanID() {
		t.Error("the client span is not the child of the proxy's hop")
	}
	if client.Name() != "GET" {
		t.Errorf("client span named %q, want GET", client.Name())
	}
}

// TestTraceparentNotSampled: a request head sampling leaves out still
// tells the upstream its trace, unsampled, and records nothing.
func TestTraceparentNotSampled(t *testing.T) {
	var got string
	backend := newUpstreamServer(t, func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get("Traceparent") })
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(sdktrace.NeverSample()))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	u := start(t, Config{Targets: []string{backend.URL}})
	ctx, span := tp.Tracer("test").Start(context.Background(), "caller")
	defer span.End()
	if _, err := u.Do(ctx, &Request{Method: "GET", Path: "/"}); err != nil {
		t.Fatal(err)
	}
	want := "00-" + span.SpanContext().TraceID().String() + "-" + span.SpanContext().SpanID().String() + "-00"
	if got != want {
		t.Errorf("traceparent %q, want the caller's, unsampled: %q", got, want)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Errorf("%d spans recorded", n)
	}
}
