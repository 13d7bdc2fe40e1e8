package batchproxy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching/batchproxy"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/upstream"
	"go.uber.org/zap"
)

// echo answers a batch with its items.
func echo(w http.ResponseWriter, _ *http.Request, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// wantOpen checks that r is the answer of an open breaker: 503
// problem+json with Retry-After, the time it stays open.
func wantOpen(t *testing.T, what string, r reply, retryAfter string) {
	t.Helper()
	var prob actors.Problem
	if r.status != http.StatusServiceUnavailable || r.header.Get("Content-Type") != actors.ProblemContentType ||
		json.Unmarshal([]byte(r.body), &prob) != nil || !strings.Contains(prob.Detail, "circuit breaker is open") {
		t.Errorf("%s: %d %q %s, want 503 problem+json: the circuit breaker is open", what, r.status, r.header.Get("Content-Type"), r.body)
	}
	if got := r.header.Get("Retry-After"); got != retryAfter {
		t.Errorf("%s: Retry-After %q, want %q", what, got, retryAfter)
	}
}

// Batches go through the upstream's breaker: after its threshold of failed
// calls it opens, and then every item of every batch gets 503 with
// Retry-After at once, with no call reaching the upstream.
func TestBreakerOpens(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		http.Error(w, "broken", http.StatusInternalServerError)
	})
	p := startProxy(t, fmt.Sprintf("{upstream: %q, breaker: {consecutive_failures: 3, open_timeout: 1m}, batch: {max_batch_size: 4}}", up.URL))
	for i := range 3 {
		if r := p.post(t, `{"n":1}`); r.status != http.StatusBadGateway {
			t.Fatalf("call %d: %d %s, want 502 for the upstream's 500", i, r.status, r.body)
		}
	}
	concurrently(20, func(i int) {
		wantOpen(t, fmt.Sprint("item ", i), p.post(t, fmt.Sprintf(`{"n":%d}`, i)), "60")
	})
	if n := up.calls(); n != 3 {
		t.Errorf("the upstream got %d calls, want the 3 before the breaker opened", n)
	}
}

// Routes that name one upstream declared under upstreams share its
// breaker, whatever their kinds: tripped through one batch_proxy route,
// the other batch_proxy route and a proxy route answer 503 without a call.
func TestSharedUpstream(t *testing.T) {
	var failing atomic.Bool
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if failing.Load() {
			http.Error(w, "broken", http.StatusInternalServerError)
			return
		}
		echo(w, r, body)
	})
	base, client, cfg := serveConfig(t, `
upstreams:
  scoring:
    targets: ["`+up.URL+`/v1"]
    breaker: {consecutive_failures: 2, open_timeout: 30s}
routes:
  - {method: POST, path: /a, handler: batch_proxy, options: {upstream: scoring, path: "/batch?model=a"}}
  - {method: POST, path: /b, handler: batch_proxy, options: {upstream: scoring, id_field: id}}
  - {method: GET, path: "/c/{rest...}", handler: proxy, options: {upstream: scoring, strip_prefix: /c}}
`)
	a := &proxy{url: base + "/a", client: client}
	b := &proxy{url: base + "/b", client: client}
	c := &proxy{url: base + "/c/x", client: client}
	if r := a.post(t, `{"n":1}`); r.status != http.StatusOK || r.body != `{"n":1}` {
		t.Fatalf("POST /a = %d %s, want 200 {\"n\":1}", r.status, r.body)
	}
	if r := b.post(t, `{"id":"x"}`); r.status != http.StatusOK || r.body != `{"id":"x"}` {
		t.Fatalf("POST /b = %d %s, want 200 {\"id\":\"x\"}", r.status, r.body)
	}
	up.mu.Lock()
	urls, header := append([]string(nil), up.urls...), up.headers[0]
	up.mu.Unlock()
	if want := []string{"/v1/batch?model=a", "/v1/"}; strings.Join(urls, " ") != strings.Join(want, " ") {
		t.Errorf("the upstream was called at %q, want %q", urls, want)
	}
	if header.Get("Request-Timeout") == "" {
		t.Errorf("a batch went without the deadline header Request-Timeout: %v", header)
	}

	failing.Store(true)
	for range 2 {
		if r := a.post(t, `{"n":1}`); r.status != http.StatusBadGateway {
			t.Fatalf("POST /a, failing = %d %s, want 502", r.status, r.body)
		}
	}
	calls := up.calls()
	concurrently(8, func(i int) {
		wantOpen(t, fmt.Sprint("POST /b, item ", i), b.post(t, fmt.Sprintf(`{"id":"%d"}`, i)), "30")
	})
	wantOpen(t, "GET /c/x", c.do(t, http.MethodGet, ""), "30")
	if n := up.calls(); n != calls {
		t.Errorf("the upstream got %d calls once its breaker was open, want none", n-calls)
	}
	v, _ := cfg.Shared(upstream.SectionKey, "scoring")
	if s := v.(*upstream.Upstream).Status(); s.State != upstream.Open {
		t.Errorf("the shared upstream's breaker is %s, want open", s.StateName)
	}
}

// A batch is a POST: the upstream does not retry it unless its retry
// configuration says non_idempotent.
func TestRetriesNeedNonIdempotent(t *testing.T) {
	tests := []struct {
		name      string
		retry     string
		wantCalls int
	}{
		{name: "by default", retry: "{max_attempts: 3, initial_backoff: 1ms}", wantCalls: 1},
		{name: "non_idempotent", retry: "{max_attempts: 3, initial_backoff: 1ms, non_idempotent: true}", wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				http.Error(w, "down", http.StatusBadGateway)
			})
			p := startProxy(t, fmt.Sprintf("{upstream: %q, retry: %s}", up.URL, tt.retry))
			if r := p.post(t, `{"n":1}`); r.status != http.StatusBadGateway {
				t.Errorf("POST = %d %s, want 502", r.status, r.body)
			}
			if n := up.calls(); n != tt.wantCalls {
				t.Errorf("the upstream got %d calls for one batch, want %d", n, tt.wantCalls)
			}
		})
	}
}

// Options beside upstream: NAME and beside a URL are checked at their
// lines.
func TestRegisterUpstreamErrors(t *testing.T) {
	tests := []struct {
		name    string
		options string // the route's options, a block at line 8
		want    []string
	}{
		{name: "undeclared", options: "upstream: scorng",
			want: []string{`proxy.yaml:8: option upstream: "scorng" is not declared under upstreams (declared: scoring)`}},
		{name: "the upstream's options beside its name", options: "upstream: scoring\n      breaker: {consecutive_failures: 1}\n      max_response_bytes: 10",
			want: []string{
				"proxy.yaml:9: breaker: set on the upstream scoring (under upstreams), not on the route",
				"proxy.yaml:10: max_response_bytes: set on the upstream scoring (under upstreams), not on the route",
			}},
		{name: "bad path", options: "upstream: scoring\n      path: batch",
			want: []string{`proxy.yaml:8: batch_proxy: batch proxy "POST /p": path "batch" must be a path from "/"`}},
		{name: "path beside a URL", options: "upstream: http://a/b\n      path: /c",
			want: []string{"proxy.yaml:9: batch_proxy: path goes with the name of an upstream declared under upstreams"}},
		{name: "targets beside a URL", options: "upstream: http://a/b\n      targets: [\"http://c\"]\n      breaker: {failure_ratio: 3}",
			want: []string{
				`proxy.yaml:8: batch_proxy: batch proxy "POST /p": upstream "POST /p": breaker: failure_ratio: must be from 0 to 1`,
				"proxy.yaml:9: batch_proxy: targets goes with the name of an upstream",
			}},
		{name: "bad option too", options: "upstream: scorng\n      itemz: x",
			want: []string{`proxy.yaml:8: option upstream: "scorng" is not declared`, `proxy.yaml:9: unknown option "itemz"`}},
		{name: "bad options beside a good name", options: "upstream: scoring\n      itemz: x\n      path: batch",
			want: []string{`proxy.yaml:8: batch_proxy: batch proxy "POST /p": path "batch" must be a path from "/"`, `proxy.yaml:9: unknown option "itemz"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "upstreams:\n  scoring: {targets: [\"http://127.0.0.1:1\"]}\nroutes:\n  - method: POST\n    path: /p\n    handler: batch_proxy\n    options:\n      " + tt.options + "\n"
			reg := &config.Registry{}
			batchproxy.Register(reg) // the section upstreams with it
			_, err := config.Parse("proxy.yaml", []byte(src), reg)
			if err == nil {
				t.Fatalf("Parse = nil, want %q", tt.want)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tt.want) {
				t.Fatalf("Parse reported %d errors, want %d:\n%v", len(got), len(tt.want), err)
			}
			for i := range tt.want {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("error %d = %q, want it to start with %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// From Go: a shared upstream comes with WithUpstream, and the options of
// an upstream of the proxy's own are refused beside it.
func TestNewUpstreamErrors(t *testing.T) {
	shared, err := upstream.New(upstream.Config{Name: "shared", Targets: []string{"http://127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  batchproxy.Config
		opts []batchproxy.Option
		want string
	}{
		{name: "no upstream", want: "upstream is required"},
		{name: "a name without the upstream", cfg: batchproxy.Config{Upstream: "scoring"}, want: `upstream "scoring" is neither a URL nor given`},
		{name: "a URL and an upstream", cfg: batchproxy.Config{Upstream: "http://a/b"}, opts: []batchproxy.Option{batchproxy.WithUpstream(shared)},
			want: `upstream "http://a/b" is a URL, and the proxy was given the upstream shared too`},
		{name: "upstream options beside a shared one", cfg: batchproxy.Config{UpstreamConfig: upstream.Config{Retry: upstream.RetryConfig{MaxAttempts: 3}}},
			opts: []batchproxy.Option{batchproxy.WithUpstream(shared)}, want: "are set on the upstream shared, not on the batch proxy"},
		{name: "upstream options for a shared one", opts: []batchproxy.Option{batchproxy.WithUpstream(shared), batchproxy.WithUpstreamOptions(upstream.WithLogger(zap.NewNop()))},
			want: "WithUpstreamOptions is for the proxy's own upstream"},
		{name: "another name", cfg: batchproxy.Config{Upstream: "scoring"}, opts: []batchproxy.Option{batchproxy.WithUpstream(shared)},
			want: `upstream "scoring" is not the name of the upstream given, shared`},
		{name: "a path beside a URL", cfg: batchproxy.Config{Upstream: "http://a/b", Path: "/c"}, want: "path goes with a shared upstream"},
		{name: "bad URL", cfg: batchproxy.Config{Upstream: "http://a/b#frag"}, want: "is not an http or https URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := batchproxy.New("score", tt.cfg, tt.opts...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// The proxy starts and stops an upstream of its own, and exports its
// metrics; a shared one it leaves alone.
func TestUpstreamLifecycle(t *testing.T) {
	srv := newUpstream(t, echo)
	sys := actors.NewSystem(zap.NewNop())
	defer sys.Shutdown()
	call := func(up *upstream.Upstream) error {
		_, err := up.Do(context.Background(), &upstream.Request{Method: http.MethodPost, Path: "/", Body: []byte("[]")})
		return err
	}

	own, err := batchproxy.New("own", batchproxy.Config{Upstream: srv.URL + "/score"})
	if err != nil {
		t.Fatal(err)
	}
	if err := call(own.Upstream()); !errors.Is(err, upstream.ErrStopped) {
		t.Errorf("the proxy's own upstream before Start: %v, want ErrStopped", err)
	}
	if err := own.Start(sys); err != nil {
		t.Fatal(err)
	}
	if err := call(own.Upstream()); err != nil {
		t.Errorf("the proxy's own upstream after Start: %v", err)
	}
	if own.Upstream().Name() != "own" {
		t.Errorf("the proxy's own upstream is named %q, want the proxy's name", own.Upstream().Name())
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(own)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
	}
	for _, want := range []string{"troupe_batch_queue_items", "troupe_upstream_breaker_state"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("the proxy's metrics lack %s: %q", want, names)
		}
	}
	if err := own.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := own.Stop(context.Background()); err != nil {
		t.Errorf("Stop again: %v", err)
	}
	if err := call(own.Upstream()); !errors.Is(err, upstream.ErrStopped) {
		t.Errorf("the proxy's own upstream after Stop: %v, want ErrStopped", err)
	}

	shared, err := upstream.New(upstream.Config{Name: "shared", Targets: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	if err := shared.Start(sys); err != nil {
		t.Fatal(err)
	}
	defer shared.Stop(context.Background())
	p, err := batchproxy.New("p", batchproxy.Config{Path: "/score"}, batchproxy.WithUpstream(shared))
	if err != nil {
		t.Fatal(err)
	}
	if p.Upstream() != shared {
		t.Error("Upstream() is not the shared upstream")
	}
	if err := p.Start(sys); err != nil {
		t.Fatal(err)
	}
	r, err := p.Batcher().Submit(context.Background(), batchproxy.Item{Body: json.RawMessage(`{"n":1}`)})
	if err != nil || r.Status != http.StatusOK || string(r.Body) != `{"n":1}` {
		t.Errorf("Submit through the shared upstream = %+v, %v", r, err)
	}
	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := call(shared); err != nil {
		t.Errorf("the shared upstream after the proxy stopped: %v, want it running", err)
	}
}
