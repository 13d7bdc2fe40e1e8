package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
	"github.com/troupe-go/troupe/internal/pipeline"
)

// benchBody is what the benchmark upstream answers: a small JSON document.
var benchBody = []byte(`{"id":42,"name":"lamp","price":12.5,"tags":["a","b","c"],"description":"a small JSON body of about a hundred bytes"}`)

// benchUpstream starts the healthy upstream of the benchmarks on loopback.
func benchUpstream(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(benchBody)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkProxy measures one GET proxied to a healthy upstream on
// loopback, side by side: through troupe's proxy handler (breaker, retry
// with its budget, bulkhead, deadline header, all on) called as the
// pipeline calls it, and through net/http/httputil.ReverseProxy alone
// (Rewrite with SetURL and SetXForwarded, the same transport settings),
// as it comes and with a BufferPool (by default it allocates a 32 KiB
// copy buffer per request). Both include building the request; neither
// includes an ingress. The upstream's own time is in both: the difference
// is the proxies' cost.
func BenchmarkProxy(b *testing.B) {
	srv := benchUpstream(b)
	target, _ := url.Parse(srv.URL)
	troupeProxy := proxy(b, Config{Targets: []string{srv.URL}}, ProxyConfig{})
	cfg := Config{Name: "bench", Targets: []string{srv.URL}}.withDefaults()
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		Transport: newTransport(cfg, nil),
	}
	runTroupe := func() {
		ex := pipeline.NewExchange(context.Background(), httptest.NewRequest(http.MethodGet, "/items/42?x=1", nil), nil)
		ex.Deadline = time.Now().Add(10 * time.Second)
		if err := troupeProxy.Process(ex); err != nil || ex.Response.Status != http.StatusOK {
			b.Fatalf("troupe: %d %v", ex.Response.Status, err)
		}
	}
	pooled := *rp
	pooled.BufferPool = &bufferPool{}
	runHTTPUtil := func(rp *httputil.ReverseProxy) func() {
		return func() {
			w := httptest.NewRecorder()
			rp.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/items/42?x=1", nil))
			if w.Code != http.StatusOK {
				b.Fatalf("httputil: %d", w.Code)
			}
		}
	}
	for _, peer := range []struct {
		name string
		run  func()
	}{{"troupe", runTroupe}, {"httputil", runHTTPUtil(rp)}, {"httputil-pooled", runHTTPUtil(&pooled)}} {
		b.Run(peer.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				peer.run()
			}
		})
		b.Run(peer.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					peer.run()
				}
			})
		})
	}
}

// bufferPool is an httputil.BufferPool of 32 KiB buffers.
type bufferPool struct{ p sync.Pool }

func (bp *bufferPool) Get() []byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, 32<<10)
}

func (bp *bufferPool) Put(b []byte) { bp.p.Put(&b) }

// BenchmarkAdmission measures what owning the breaker in an actor costs:
// one attempt's admission and report (a round trip to the upstream's actor
// and a one-way message, the breaker's Allow and done inside) against
// gobreaker's TwoStepCircuitBreaker called directly under its own mutex.
// Sequential and with every core sending at once.
func BenchmarkAdmission(b *testing.B) {
	u := start(b, Config{Targets: []string{"http://bench.invalid"}})
	pid := u.pid.Load()
	viaActor := func() {
		a, err := u.admit(context.Background(), pid, true)
		if err != nil || !a.ok {
			b.Fatalf("admit: %+v %v", a, err)
		}
		u.report(pid, a.ticket, resultOK, success, false)
	}
	cb := gobreaker.NewTwoStepCircuitBreaker[struct{}](u.cfg.Breaker.settings("bench"))
	direct := func() {
		done, err := cb.Allow()
		if err != nil {
			b.Fatal(err)
		}
		done(nil)
	}
	for _, bb := range []struct {
		name string
		f    func()
	}{{"actor", viaActor}, {"mutex", direct}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bb.f()
			}
		})
		b.Run(bb.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					bb.f()
				}
			})
		})
	}
}
