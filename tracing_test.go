package troupe_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// tracedApp starts an app traced into a span recorder, with sampler.
func tracedApp(t *testing.T, sampler sdktrace.Sampler, declare func(app *troupe.App), opts ...troupe.Option) (*server, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	return start(t, troupe.Config{}, declare, append([]troupe.Option{troupe.WithTracerProvider(tp)}, opts...)...), rec
}

// spanAttr returns the value of key on s, and whether it is there.
func spanAttr(s sdktrace.ReadOnlySpan, key attribute.Key) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// byName returns the spans named name.
func byName(spans []sdktrace.ReadOnlySpan, name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// counter is a stateful stage: it owns a count in its actor.
func tracedCounter() *actors.Spec {
	return &actors.Spec{Name: "counter", Kind: actors.Stateful, Priority: actors.Business, New: func() actors.Stage {
		n := 0
		return actors.StageFunc(func(ex *actors.Exchange) error { n++; return nil })
	}}
}

// TestTracingOneTracePerRequest: each request is one trace: a server span
// named after its route, and one span per hop, each the child of the one
// before it, named "hop NAME".
func TestTracingOneTracePerRequest(t *testing.T) {
	s, rec := tracedApp(t, sdktrace.AlwaysSample(), func(app *troupe.App) {
		app.Use(mark("first", actors.Global), mark("second", actors.Routing))
		app.Group("/items", tracedCounter()).GET("/{id}", func(ex *actors.Exchange) error {
			ex.Respond(http.StatusOK, "text/plain", []byte("item"))
			return nil
		})
	})
	for range 2 {
		if r := s.do(t, "GET", "/items/7", "", "User-Agent", "tracing-test/1"); r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
	}
	spans := rec.Ended()
	servers := byName(spans, "GET /items/{id}")
	if len(servers) != 2 || len(spans) != 2*4 {
		names := make([]string, len(spans))
		for i, sp := range spans {
			names[i] = sp.Name()
		}
		t.Fatalf("spans %q: want two requests of a server span and three hops", names)
	}
	if servers[0].SpanContext().TraceID() == servers[1].SpanContext().TraceID() {
		t.Error("two requests share a trace")
	}
	for _, srv := range servers {
		if srv.SpanKind() != trace.SpanKindServer || srv.Parent().IsValid() {
			t.Errorf("server span: kind %v, parent %v", srv.SpanKind(), srv.Parent())
		}
		for key, want := range map[attribute.Key]string{
			"http.request.method": "GET", "http.route": "/items/{id}", "url.path": "/items/7",
			"server.address": "127.0.0.1", "user_agent.original": "tracing-test/1", "url.scheme": "http",
		} {
			if v, ok := spanAttr(srv, key); !ok || v.AsString() != want {
				t.Errorf("server span %s = %q, want %q", key, v.Emit(), want)
			}
		}
		if v, _ := spanAttr(srv, "http.response.status_code"); v.AsInt64() != 200 {
			t.Errorf("http.response.status_code = %v", v.Emit())
		}
		// The hops, in order, each the child of the one before.
		parent := srv.SpanContext()
		for _, hop := range []struct{ name, kind string }{{"hop first+second", "stateless"}, {"hop counter", "stateful"}, {"hop GET /items/{id}", "stateless"}} {
			var found sdktrace.ReadOnlySpan
			for _, sp := range byName(spans, hop.name) {
				if sp.Parent().SpanID() == parent.SpanID() {
					found = sp
				}
			}
			if found == nil {
				t.Fatalf("no span %q under %s", hop.name, parent.SpanID())
			}
			if found.SpanContext().TraceID() != srv.SpanContext().TraceID() {
				t.Errorf("%s: another trace", hop.name)
			}
			if v, _ := spanAttr(found, "troupe.hop.kind"); v.AsString() != hop.kind {
				t.Errorf("%s: kind %q, want %q", hop.name, v.AsString(), hop.kind)
			}
			_, waits := spanAttr(found, "troupe.hop.queue_wait")
			if waits != (hop.kind == "stateful") {
				t.Errorf("%s: queue_wait present %v, want it on the stateful hop only", hop.name, waits)
			}
			parent = found.SpanContext()
		}
		first := byName(spans, "hop first+second")[0]
		if v, _ := spanAttr(first, "troupe.hop.stages"); !slices.Equal(v.AsStringSlice(), []string{"first", "second"}) {
			t.Errorf("troupe.hop.stages = %v", v.Emit())
		}
	}
}

// TestTracingContinuesTheClientsTrace: a request with traceparent and
// baggage is a child of the client's span, and its stages see the
// baggage.
func TestTracingContinuesTheClientsTrace(t *testing.T) {
	s, rec := tracedApp(t, sdktrace.ParentBased(sdktrace.NeverSample()), func(app *troupe.App) {
		app.GET("/b", func(ex *actors.Exchange) error {
			ex.Respond(http.StatusOK, "text/plain", []byte(baggage.FromContext(ex.Context()).Member("tenant").Value()))
			return nil
		})
	}, troupe.WithTraceResponse())
	const traceID, spanID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	r := s.do(t, "GET", "/b", "", "traceparent", "00-"+traceID+"-"+spanID+"-01", "baggage", "tenant=acme")
	if r.body != "acme" {
		t.Errorf("the handler saw baggage %q, want acme", r.body)
	}
	srv := byName(rec.Ended(), "GET /b")
	if len(srv) != 1 {
		t.Fatalf("%d server spans, want 1 (sampled by its parent)", len(srv))
	}
	if got := srv[0].SpanContext().TraceID().String(); got != traceID {
		t.Errorf("trace id %s, want the client's %s", got, traceID)
	}
	if got := srv[0].Parent().SpanID().String(); got != spanID || !srv[0].Parent().IsRemote() {
		t.Errorf("parent %s, want the client's span %s", got, spanID)
	}
	want := "00-" + traceID + "-" + srv[0].SpanContext().SpanID().String() + "-01"
	if got := r.header.Get("Traceresponse"); got != want {
		t.Errorf("traceresponse %q, want %q", got, want)
	}
	// Unsampled by its parent: nothing recorded, and nothing on the answer
	// that names a span of ours.
	before := len(rec.Ended())
	r = s.do(t, "GET", "/b", "", "traceparent", "00-"+traceID+"-"+spanID+"-00")
	if n := len(rec.Ended()) - before; n != 0 {
		t.Errorf("an unsampled request recorded %d spans", n)
	}
	if got := r.header.Get("Traceresponse"); !strings.HasSuffix(got, "-00") {
		t.Errorf("traceresponse of an unsampled request %q: want its flags 00", got)
	}
}

// TestTracingPanicIsARestartEvent: a stage that panics marks its hop's
// span with the event "restart" and an error, and the server span with
// the 500.
func TestTracingPanicIsARestartEvent(t *testing.T) {
	s, rec := tracedApp(t, sdktrace.AlwaysSample(), func(app *troupe.App) {
		app.Use(troupe.Stage("boom", actors.Business, actors.StageFunc(func(ex *actors.Exchange) error { panic("boom") })))
		app.GET("/p", func(ex *actors.Exchange) error { return nil })
	})
	if r := s.do(t, "GET", "/p", ""); r.status != 500 {
		t.Fatalf("status %d, want 500", r.status)
	}
	hops := byName(rec.Ended(), "hop boom+GET /p")
	if len(hops) != 1 {
		t.Fatalf("%d spans named hop boom+GET /p", len(hops))
	}
	h := hops[0]
	if h.Status().Code != codes.Error {
		t.Errorf("hop status %v, want an error", h.Status())
	}
	events := h.Events()
	if len(events) != 1 || events[0].Name != "restart" {
		t.Fatalf("events %v, want one restart", events)
	}
	var stage string
	for _, kv := range events[0].Attributes {
		if kv.Key == "troupe.stage" {
			stage = kv.Value.AsString()
		}
	}
	if stage != "boom" {
		t.Errorf("restart of stage %q, want boom", stage)
	}
	srv := byName(rec.Ended(), "GET /p")
	if len(srv) != 1 || srv[0].Status().Code != codes.Error {
		t.Fatalf("server span %v: want one, an error", srv)
	}
	if v, _ := spanAttr(srv[0], "http.response.status_code"); v.AsInt64() != 500 {
		t.Errorf("status_code %v, want 500", v.Emit())
	}
}

// TestTracingErrorLogCarriesTraceID: the pipeline's "request failed" line
// about a traced request names its trace.
func TestTracingErrorLogCarriesTraceID(t *testing.T) {
	core, logs := observer.New(zap.ErrorLevel)
	s, rec := tracedApp(t, sdktrace.AlwaysSample(), func(app *troupe.App) {
		app.GET("/fail", func(ex *actors.Exchange) error { return errors.New("the database is gone") })
	}, troupe.WithLogger(zap.New(core)))
	if r := s.do(t, "GET", "/fail", ""); r.status != 500 {
		t.Fatalf("status %d, want 500", r.status)
	}
	srv := byName(rec.Ended(), "GET /fail")
	if len(srv) != 1 {
		t.Fatalf("%d server spans", len(srv))
	}
	lines := logs.FilterMessage("request failed").All()
	if len(lines) != 1 {
		t.Fatalf("%d request failed lines, want 1", len(lines))
	}
	if got := lines[0].ContextMap()["trace_id"]; got != srv[0].SpanContext().TraceID().String() {
		t.Errorf("trace_id %v, want %s", got, srv[0].SpanContext().TraceID())
	}
}

// TestTracingCappedStageAndRejection: a hop with a concurrency cap carries
// its queue wait; a request no route matches still has its server span,
// named after its method alone, with the 404.
func TestTracingCappedStageAndRejection(t *testing.T) {
	capped := troupe.Handler("GET /c", func(ex *actors.Exchange) error { return nil })
	capped.Concurrency = 1
	s, rec := tracedApp(t, sdktrace.AlwaysSample(), func(app *troupe.App) {
		app.Handle("GET", "/c", capped)
	})
	if r := s.do(t, "GET", "/c", ""); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	hops := byName(rec.Ended(), "hop GET /c")
	if len(hops) != 1 {
		t.Fatalf("%d spans named hop GET /c", len(hops))
	}
	if v, ok := spanAttr(hops[0], "troupe.hop.queue_wait"); !ok || v.AsFloat64() < 0 {
		t.Errorf("queue_wait %v present %v, want a wait of zero or more on a capped hop", v.Emit(), ok)
	}
	if r := s.do(t, "GET", "/nowhere", ""); r.status != 404 {
		t.Fatalf("status %d", r.status)
	}
	srv := byName(rec.Ended(), "GET")
	if len(srv) != 1 {
		t.Fatalf("%d spans named GET", len(srv))
	}
	if v, _ := spanAttr(srv[0], "http.response.status_code"); v.AsInt64() != 404 || srv[0].Status().Code == codes.Error {
		t.Errorf("status_code %v, span status %v: want 404, not an error", v.Emit(), srv[0].Status())
	}
	if _, ok := spanAttr(srv[0], "http.route"); ok {
		t.Error("an unmatched request has http.route")
	}
}

// TestTracingStatefulPanic: a stateful stage that panics in its actor
// marks its own hop's span with the restart event.
func TestTracingStatefulPanic(t *testing.T) {
	s, rec := tracedApp(t, sdktrace.AlwaysSample(), func(app *troupe.App) {
		app.Use(&actors.Spec{Name: "fragile", Kind: actors.Stateful, Priority: actors.Business, New: func() actors.Stage {
			return actors.StageFunc(func(ex *actors.Exchange) error { panic("fragile") })
		}})
		app.GET("/f", func(ex *actors.Exchange) error { return nil })
	})
	if r := s.do(t, "GET", "/f", ""); r.status != 500 {
		t.Fatalf("status %d, want 500", r.status)
	}
	hops := byName(rec.Ended(), "hop fragile")
	if len(hops) != 1 {
		t.Fatalf("%d spans named hop fragile", len(hops))
	}
	if ev := hops[0].Events(); len(ev) != 1 || ev[0].Name != "restart" || hops[0].Status().Code != codes.Error {
		t.Errorf("events %v, status %v: want one restart and an error", ev, hops[0].Status())
	}
	if n := len(byName(rec.Ended(), "hop GET /f")); n != 0 {
		t.Errorf("the handler's hop has %d spans: the exchange never reached it", n)
	}
}
