package troupe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"go.uber.org/zap"
)

// The pipeline benchmarks serve one request at a time through an app's
// http.Handler, without the network, so that what they measure is troupe's
// own cost per request: the ingress (admission, routing, request id,
// deadline, metrics), the exchange and its trip through the stages (run on
// the request's goroutine; a Stateful one in its actor and back), and
// writing the response. Each is paired with a baseline of
// plain net/http middleware doing identical work. The work is the same as
// bench/'s HTTP benchmark: five kinds of trivial middleware, cycled when a
// pipeline has more stages, then a handler that answers a small JSON body.

// pipelineWork is one kind of trivial middleware work.
type pipelineWork int

const (
	workSetHeader    pipelineWork = iota // sets the response header X-Bench
	workReadHeader                       // reads X-Tenant; "blocked" is refused
	workCount                            // increments an atomic counter
	workCheckMethod                      // refuses anything but GET and HEAD
	workContextValue                     // stores a value the handler reads back
	pipelineWorks                        // how many kinds there are
)

const pipelinePath = "/hello"

// pipelineReply is the handler's JSON body.
type pipelineReply struct {
	Message string `json:"message"`
	Tenant  string `json:"tenant"`
}

var pipelineTenant = actors.NewKey[string]("tenant")

// pipelineStage returns the troupe stage doing w.
func pipelineStage(w pipelineWork, hits *atomic.Int64) actors.Stage {
	switch w {
	case workSetHeader:
		return actors.StageFunc(func(ex *actors.Exchange) error {
			ex.Response.Header().Set("X-Bench", "1")
			return nil
		})
	case workReadHeader:
		return actors.StageFunc(func(ex *actors.Exchange) error {
			if ex.Request.Header.Get("X-Tenant") == "blocked" {
				return actors.NewError(http.StatusForbidden, "tenant blocked")
			}
			return nil
		})
	case workCount:
		return actors.StageFunc(func(*actors.Exchange) error {
			hits.Add(1)
			return nil
		})
	case workCheckMethod:
		return actors.StageFunc(func(ex *actors.Exchange) error {
			if m := ex.Request.Method; m != http.MethodGet && m != http.MethodHead {
				return actors.NewError(http.StatusMethodNotAllowed, "method not allowed")
			}
			return nil
		})
	default:
		return actors.StageFunc(func(ex *actors.Exchange) error {
			pipelineTenant.Set(ex, "acme")
			return nil
		})
	}
}

// troupePipeline builds an app whose one route runs n stateless stages and
// a handler, and returns its handler. The app is closed when b ends.
func troupePipeline(b *testing.B, n int) http.Handler {
	return troupePipelineOf(b, n, false)
}

// troupePipelineOf is troupePipeline; with taught, the counting stage is
// Stateful (one partition) and the handler comes from app.GET, as the
// README teaches. opts are the app's further options.
func troupePipelineOf(b *testing.B, n int, taught bool, opts ...troupe.Option) http.Handler {
	b.Helper()
	var hits atomic.Int64
	app := troupe.New(troupe.Config{Admin: troupe.AdminConfig{Addr: "off"}}, append([]troupe.Option{troupe.WithLogger(zap.NewNop())}, opts...)...)
	for i := range n {
		w := pipelineWork(i % int(pipelineWorks))
		name := fmt.Sprintf("work-%d", i)
		if taught && w == workCount {
			app.Use(&actors.Spec{Name: name, Kind: actors.Stateful, Priority: actors.Global,
				New: func() actors.Stage { return pipelineStage(w, &hits) }})
			continue
		}
		app.Use(troupe.Stage(name, actors.Global, pipelineStage(w, &hits)))
	}
	handler := func(ex *actors.Exchange) error {
		tenant, _ := pipelineTenant.Get(ex)
		return ex.JSON(http.StatusOK, pipelineReply{Message: "hello", Tenant: tenant})
	}
	if taught {
		app.GET(pipelinePath, handler)
	} else {
		app.Handle(http.MethodGet, pipelinePath, troupe.Handler("hello", handler))
	}
	h, err := app.Handler()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = app.Close(context.Background()) })
	return h
}

type pipelineTenantKey struct{}

// pipelineMiddleware returns the net/http middleware doing w.
func pipelineMiddleware(w pipelineWork, hits *atomic.Int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		switch w {
		case workSetHeader:
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Bench", "1")
				next.ServeHTTP(w, r)
			})
		case workReadHeader:
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Tenant") == "blocked" {
					http.Error(w, "tenant blocked", http.StatusForbidden)
					return
				}
				next.ServeHTTP(w, r)
			})
		case workCount:
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				next.ServeHTTP(w, r)
			})
		case workCheckMethod:
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet && r.Method != http.MethodHead {
					http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
					return
				}
				next.ServeHTTP(w, r)
			})
		default:
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), pipelineTenantKey{}, "acme")))
			})
		}
	}
}

// netHTTPPipeline returns n plain middleware around a plain handler doing
// the same work as troupePipeline's.
func netHTTPPipeline(n int) http.Handler {
	var hits atomic.Int64
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, _ := r.Context().Value(pipelineTenantKey{}).(string)
		body, err := json.Marshal(pipelineReply{Message: "hello", Tenant: tenant})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
	for i := n - 1; i >= 0; i-- {
		h = pipelineMiddleware(pipelineWork(i%int(pipelineWorks)), &hits)(h)
	}
	return h
}

// pipelineRecorder is a ResponseWriter that keeps only the status and the
// body's length, and reuses its header map, so that its own allocations
// are not counted.
type pipelineRecorder struct {
	header http.Header
	status int
	n      int
}

func newPipelineRecorder() *pipelineRecorder {
	return &pipelineRecorder{header: make(http.Header, 8)}
}

func (r *pipelineRecorder) Header() http.Header { return r.header }

func (r *pipelineRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *pipelineRecorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	r.n += len(p)
	return len(p), nil
}

func (r *pipelineRecorder) reset() {
	clear(r.header)
	r.status, r.n = 0, 0
}

// serveOnce serves req on rec and fails b unless the answer is the 200
// with a JSON body that the pipeline should give.
func serveOnce(b *testing.B, h http.Handler, req *http.Request, rec *pipelineRecorder) {
	b.Helper()
	rec.reset()
	h.ServeHTTP(rec, req)
	if rec.status != http.StatusOK || rec.n == 0 || rec.header.Get("Content-Type") != "application/json" {
		b.Fatalf("ServeHTTP(GET %s) = %d with %d bytes, Content-Type %q; want 200 with a JSON body",
			pipelinePath, rec.status, rec.n, rec.header.Get("Content-Type"))
	}
}

// benchSerial measures h serving one request after another on one
// goroutine, with a reused request and recorder.
func benchSerial(b *testing.B, h http.Handler) {
	req := httptest.NewRequest(http.MethodGet, pipelinePath, nil)
	rec := newPipelineRecorder()
	serveOnce(b, h, req, rec)
	b.ReportAllocs()
	for b.Loop() {
		rec.reset()
		h.ServeHTTP(rec, req)
	}
}

// benchParallel measures h serving requests from GOMAXPROCS goroutines at
// once, each with its own reused request and recorder.
func benchParallel(b *testing.B, h http.Handler) {
	serveOnce(b, h, httptest.NewRequest(http.MethodGet, pipelinePath, nil), newPipelineRecorder())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest(http.MethodGet, pipelinePath, nil)
		rec := newPipelineRecorder()
		for pb.Next() {
			rec.reset()
			h.ServeHTTP(rec, req)
		}
	})
}

// BenchmarkPipeline measures one request through an app's handler with N
// pure stages and a pure handler (stages=N), against N plain net/http
// middleware around a plain handler doing identical work (nethttp/stages=N).
// The difference per request is what troupe adds on the request path
// without the network; the slope over N is what a fused pure stage costs
// (a function call, if fusing works), and the intercept is the ingress and
// the hop. Allocations matter as much as time: each one is GC work under
// load.
func BenchmarkPipeline(b *testing.B) {
	for _, n := range []int{1, 5, 10} {
		b.Run(fmt.Sprintf("stages=%d", n), func(b *testing.B) { benchSerial(b, troupePipeline(b, n)) })
	}
	for _, n := range []int{1, 5, 10} {
		b.Run(fmt.Sprintf("nethttp/stages=%d", n), func(b *testing.B) { benchSerial(b, netHTTPPipeline(n)) })
	}
	b.Run("taught/stages=5", func(b *testing.B) { benchSerial(b, troupePipelineOf(b, 5, true)) })
}

// BenchmarkPipelineParallel measures the 5-stage pipelines of
// BenchmarkPipeline with requests from every P at once: the contention
// between requests — the Stateful stage's one actor in the taught
// pipeline, and the ingress's shared counters and metrics — against
// net/http, which shares nothing but the hit counter.
func BenchmarkPipelineParallel(b *testing.B) {
	b.Run("stages=5", func(b *testing.B) { benchParallel(b, troupePipeline(b, 5)) })
	b.Run("taught/stages=5", func(b *testing.B) { benchParallel(b, troupePipelineOf(b, 5, true)) })
	b.Run("nethttp/stages=5", func(b *testing.B) { benchParallel(b, netHTTPPipeline(5)) })
}
