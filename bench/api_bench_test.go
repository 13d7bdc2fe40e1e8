package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// The api benchmarks serve the api scenario's request — POST /items with
// APIBody and the API key — through each peer's http.Handler, without the
// network: request id, access log (zap JSON to io.Discard), API-key auth,
// rate limit, JSON Schema validation and the handler's 201. What they
// measure is each stack's own cost per request, in time and allocations;
// over HTTP it adds to net/http's per-request cost (see cmd/httpbench
// -scenario api). The harness's own work is not counted: the request and
// the ResponseWriter are reused, and the body reader is rewound, not
// remade.

// rewindBody is a request body that can be read again from the start
// without allocating.
type rewindBody struct{ strings.Reader }

func (*rewindBody) Close() error { return nil }

func (b *rewindBody) rewind() { b.Reset(APIBody) }

// apiRequest returns the benchmark's request and its body.
func apiRequest() (*http.Request, *rewindBody) {
	body := &rewindBody{}
	body.rewind()
	req := httptest.NewRequest(http.MethodPost, APIPath, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(APIKeyHeader, APIKeyValue)
	req.Header.Set("User-Agent", "bench")
	return req, body
}

// apiRecorder is a ResponseWriter that keeps the status, the body's
// length and the body itself (for the one checked request), and reuses its
// header map.
type apiRecorder struct {
	header http.Header
	status int
	body   []byte
}

func newAPIRecorder() *apiRecorder { return &apiRecorder{header: make(http.Header, 8)} }

func (r *apiRecorder) Header() http.Header { return r.header }

func (r *apiRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *apiRecorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	r.body = append(r.body, p...) // within the capacity after the first request
	return len(p), nil
}

func (r *apiRecorder) reset() {
	clear(r.header)
	r.status, r.body = 0, r.body[:0]
}

// apiHandlers returns both peers' handlers, logging to io.Discard; the
// troupe app is closed when b ends.
func apiHandlers(b *testing.B) (tr, plain http.Handler) {
	b.Helper()
	log := NewAccessLogger(io.Discard)
	tp, err := NewAPITroupe(zap.NewNop(), log)
	if err != nil {
		b.Fatal(err)
	}
	tr, err = tp.Handler()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(tp.Close)
	pp, err := NewAPINetHTTP(log)
	if err != nil {
		b.Fatal(err)
	}
	return tr, pp.Handler()
}

// serveAPIOnce serves one request on h and fails b unless it is the 201
// the scenario wants.
func serveAPIOnce(b *testing.B, h http.Handler) {
	b.Helper()
	req, body := apiRequest()
	rec := newAPIRecorder()
	body.rewind()
	h.ServeHTTP(rec, req)
	if err := APICases[0].Check(rec.status, rec.header, rec.body); err != nil {
		b.Fatal(err)
	}
}

// benchAPISerial measures h serving the request again and again on one
// goroutine.
func benchAPISerial(b *testing.B, h http.Handler) {
	serveAPIOnce(b, h)
	req, body := apiRequest()
	rec := newAPIRecorder()
	b.ReportAllocs()
	for b.Loop() {
		rec.reset()
		body.rewind()
		h.ServeHTTP(rec, req)
	}
	if rec.status != http.StatusCreated {
		b.Fatalf("last status %d, want 201", rec.status)
	}
}

// benchAPIParallel measures h serving the request from GOMAXPROCS
// goroutines at once, each with its own request and recorder.
func benchAPIParallel(b *testing.B, h http.Handler) {
	serveAPIOnce(b, h)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req, body := apiRequest()
		rec := newAPIRecorder()
		for pb.Next() {
			rec.reset()
			body.rewind()
			h.ServeHTTP(rec, req)
			if rec.status != http.StatusCreated {
				b.Errorf("status %d, want 201", rec.status)
				return
			}
		}
	})
}

// BenchmarkAPI measures one api-scenario request at a time through each
// peer's handler, without the network: troupe (the ingress, three hops —
// access log and auth fused, the stateful rate limit, validation and the
// pure handler fused — and the access log's after-phase on the way back)
// against chi with RequestID, a zap access-log middleware, API-key auth,
// httprate and jsonschema validation. The difference is what troupe's
// stack costs over the plain one per request, in ns and allocations.
func BenchmarkAPI(b *testing.B) {
	tr, plain := apiHandlers(b)
	b.Run("troupe", func(b *testing.B) { benchAPISerial(b, tr) })
	b.Run("nethttp", func(b *testing.B) { benchAPISerial(b, plain) })
}

// BenchmarkAPIParallel measures the handlers of BenchmarkAPI with
// requests from every P at once, all with the one API key: troupe's rate
// limit keeps that key's bucket in one partition actor, so every request
// passes through that actor's mailbox; httprate keeps its counters under
// one mutex. This shows what the stacks cost when requests contend.
func BenchmarkAPIParallel(b *testing.B) {
	tr, plain := apiHandlers(b)
	b.Run("troupe", func(b *testing.B) { benchAPIParallel(b, tr) })
	b.Run("nethttp", func(b *testing.B) { benchAPIParallel(b, plain) })
}
