package tracing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// provider returns an SDK provider recording into a span recorder.
func provider(t *testing.T, sampler sdktrace.Sampler) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}

func TestNewNilIsOff(t *testing.T) {
	if New(nil, true) != nil {
		t.Error("New(nil) is not nil: tracing would be on without a provider")
	}
}

// A request head sampling leaves out gets a span context to propagate, and
// no Request: nothing recorded.
func TestStartUnsampled(t *testing.T) {
	tp, rec := provider(t, sdktrace.NeverSample())
	r := httptest.NewRequest("GET", "/x", nil)
	ctx, req := New(tp, false).Start(r, httptest.NewRecorder())
	if req != nil {
		t.Fatal("an unsampled request got a Request")
	}
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() || sc.IsSampled() {
		t.Errorf("span context %v: want valid, not sampled", sc)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Errorf("%d spans recorded", n)
	}
}

// Methods HTTP does not define are _OTHER, so that a client cannot make
// span names without bound; the original is an attribute.
func TestStartOtherMethod(t *testing.T) {
	tp, rec := provider(t, sdktrace.AlwaysSample())
	r := httptest.NewRequest("BREW", "/pot", nil)
	_, req := New(tp, false).Start(r, httptest.NewRecorder())
	req.End(418)
	s := rec.Ended()[0]
	if s.Name() != "_OTHER" {
		t.Errorf("span name %q, want _OTHER", s.Name())
	}
	found := false
	for _, kv := range s.Attributes() {
		found = found || kv.Key == "http.request.method_original" && kv.Value.AsString() == "BREW"
	}
	if !found {
		t.Errorf("attributes %v: no http.request.method_original BREW", s.Attributes())
	}
}

// A client span goes into a copy of the caller's header: the caller's map
// is left as it was, and an attempt without a span context changes
// nothing.
func TestStartClientHeader(t *testing.T) {
	tp, rec := provider(t, sdktrace.AlwaysSample())
	h := http.Header{"Traceparent": {"00-11111111111111111111111111111111-2222222222222222-01"}}
	out := httptest.NewRequest("POST", "http://up.example:9000/a?token=secret", nil)
	out.Header = h
	if c := StartClient(out, 0); c != nil || out.Header.Get("Traceparent") != h.Get("Traceparent") {
		t.Fatal("without a span, StartClient changed the request")
	}
	ctx, parent := tp.Tracer("test").Start(context.Background(), "parent")
	out = out.WithContext(ctx)
	c := StartClient(out, 2)
	c.End(http.StatusBadGateway, nil)
	parent.End()
	if h.Get("Traceparent") != "00-11111111111111111111111111111111-2222222222222222-01" {
		t.Error("the caller's header was changed")
	}
	got := propagation.TraceContext{}.Extract(context.Background(), propagation.HeaderCarrier(out.Header))
	client := rec.Ended()[0]
	if trace.SpanContextFromContext(got).SpanID() != client.SpanContext().SpanID() {
		t.Error("traceparent does not name the client span")
	}
	want := map[string]string{"url.full": "http://up.example:9000/a", "server.address": "up.example"}
	for _, kv := range client.Attributes() {
		if w, ok := want[string(kv.Key)]; ok {
			if kv.Value.AsString() != w {
				t.Errorf("%s = %q, want %q (no query)", kv.Key, kv.Value.AsString(), w)
			}
			delete(want, string(kv.Key))
		}
		if kv.Key == "http.request.resend_count" && kv.Value.AsInt64() != 2 {
			t.Errorf("resend_count %d, want 2", kv.Value.AsInt64())
		}
	}
	if len(want) > 0 {
		t.Errorf("missing attributes %v", want)
	}
	if client.Status().Code.String() != "Error" {
		t.Errorf("a 502 is not an error: %v", client.Status())
	}
}

// FuzzRequestCarrier: the carrier the ingress extracts with reads what
// net/http's own header lookup reads, for any header and any key asked.
func FuzzRequestCarrier(f *testing.F) {
	f.Add("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "traceparent")
	f.Add("baggage", "a=b,c=d", "baggage")
	f.Add("TRACESTATE", "k=v", "tracestate")
	f.Add("X-Other", "v", "x-other")
	f.Fuzz(func(t *testing.T, name, value, key string) {
		h := http.Header{}
		h.Add(name, value)
		if got, want := requestCarrier(h).Get(key), propagation.HeaderCarrier(h).Get(key); got != want {
			t.Fatalf("Get(%q) on %q: %q = %q = %q, want %q", key, h, name, value, got, want)
		}
	})
}

// FuzzStart: whatever the propagation headers hold, Start neither panics
// nor loses the trace a valid traceparent names.
func FuzzStart(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "congo=t61rcWkgMzE", "tenant=acme")
	f.Add("00-00000000000000000000000000000000-00f067aa0ba902b7-01", "", "")
	f.Add("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "", "a=%zz")
	f.Add("", "", "k=v;prop")
	f.Fuzz(func(t *testing.T, traceparent, tracestate, bag string) {
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)) // ParentBased(AlwaysSample)
		defer func() { _ = tp.Shutdown(context.Background()) }()
		r := httptest.NewRequest("GET", "/", nil)
		for k, v := range map[string]string{"Traceparent": traceparent, "Tracestate": tracestate, "Baggage": bag} {
			if v != "" {
				r.Header[k] = []string{v}
			}
		}
		ctx, req := New(tp, true).Start(r, httptest.NewRecorder())
		want := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.HeaderCarrier(r.Header)))
		got := trace.SpanContextFromContext(ctx)
		if !got.IsValid() {
			t.Fatal("no valid span context")
		}
		if want.IsValid() && got.TraceID() != want.TraceID() {
			t.Fatalf("trace %s, want the header's %s", got.TraceID(), want.TraceID())
		}
		if (req != nil) != got.IsSampled() {
			t.Fatalf("Request %v for a span sampled %v", req != nil, got.IsSampled())
		}
		if req != nil {
			req.End(200)
		}
	})
}
