package upstream

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/pipeline"
	"go.uber.org/zap"
)

// start returns a started upstream configured by cfg (Name defaults to
// "test"), in an actor system of its own; both stop when the test ends.
func start(t testing.TB, cfg Config, opts ...Option) *Upstream {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "test"
	}
	u, err := New(cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sys := actors.NewSystem(zap.NewNop())
	if err := u.Start(sys); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		_ = u.Stop(context.Background())
		sys.Shutdown()
	})
	return u
}

// proxy returns a proxy to a started upstream configured by cfg.
func proxy(t testing.TB, cfg Config, pcfg ProxyConfig, opts ...Option) *Proxy {
	t.Helper()
	p, err := NewProxy(start(t, cfg, opts...), pcfg)
	if err != nil {
		t.Fatalf("NewProxy: %v", err)
	}
	return p
}

// exchange returns an exchange for method and target under ctx, with a
// deadline timeout from now.
func exchange(ctx context.Context, method, target string, body []byte, timeout time.Duration) *actors.Exchange {
	ex := pipeline.NewExchange(ctx, httptest.NewRequest(method, target, nil), nil)
	ex.Body = body
	ex.Start = time.Now()
	ex.Deadline = ex.Start.Add(timeout)
	ex.RequestID = "test-request"
	return ex
}

// answer is what the proxy answered an exchange with, after error mapping.
type answer struct {
	status int
	header http.Header
	body   string
	err    error
	took   time.Duration
	// Of a streamed body: whether it was one, the error that ended its
	// reading, and the trailers that followed it.
	streamed  bool
	streamErr error
	trailer   http.Header
}

// serve runs p on ex as the pipeline and the ingress would (an error
// becomes the problem response; a streamed body is read and closed) and
// returns the answer. took is the time to the answer's header.
func serve(p *Proxy, ex *actors.Exchange) answer {
	begin := time.Now()
	err := p.Process(ex)
	took := time.Since(begin)
	if err != nil {
		ex.Fail(err)
	}
	a := answer{status: ex.Response.Status, header: ex.Response.Header(), body: string(ex.Response.Body), err: err, took: took}
	if s := ex.Response.Stream; s != nil {
		b, rerr := io.ReadAll(s)
		_ = s.Close()
		a.body, a.streamed, a.streamErr, a.trailer = string(b), true, rerr, ex.Response.Trailer
	}
	return a
}

// get proxies a GET of target with a deadline timeout away.
func get(t testing.TB, p *Proxy, target string, timeout time.Duration) answer {
	t.Helper()
	return serve(p, exchange(context.Background(), http.MethodGet, target, nil, timeout))
}

// upstreamServer is an httptest server on loopback that counts the calls
// it gets and the most it had in progress at once, and answers with
// handler.
type upstreamServer struct {
	*httptest.Server
	calls    atomic.Int64
	inFlight atomic.Int64
	maxMu    sync.Mutex
	max      int64
}

func newUpstreamServer(t testing.TB, handler http.HandlerFunc) *upstreamServer {
	t.Helper()
	s := &upstreamServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		n := s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		s.maxMu.Lock()
		s.max = max(s.max, n)
		s.maxMu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// maxInFlight returns the most calls the server had in progress at once.
func (s *upstreamServer) maxInFlight() int64 {
	s.maxMu.Lock()
	defer s.maxMu.Unlock()
	return s.max
}

// status answers every call with code.
func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

// fakeTransport is an in-memory RoundTripper for tests under synctest:
// each call asks respond, which returns a status (0 for an error) and may
// block; it counts the calls.
type fakeTransport struct {
	calls   atomic.Int64
	respond func(r *http.Request) (int, error)
}

func (f *fakeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.calls.Add(1)
	code, err := f.respond(r)
	if err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: code, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(nil)), ContentLength: 0, Request: r}, nil
}

// p99 returns the 99th percentile of ds, which it sorts.
func p99(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)*99/100]
}
