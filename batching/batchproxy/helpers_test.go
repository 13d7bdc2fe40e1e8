package batchproxy_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/batching/batchproxy"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/upstream"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var _ troupe.Component = (*batchproxy.Proxy)(nil)

// server is a test upstream on loopback: it records every batch body it
// gets and answers with answer.
type server struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
	urls    []string // the request URIs
}

func newUpstream(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, body []byte)) *server {
	t.Helper()
	u := &server{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.bodies = append(u.bodies, body)
		u.headers = append(u.headers, r.Header.Clone())
		u.urls = append(u.urls, r.RequestURI)
		u.mu.Unlock()
		answer(w, r, body)
	}))
	t.Cleanup(u.Close)
	return u
}

// calls returns how many calls the upstream got.
func (u *server) calls() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.bodies)
}

// batches returns the batches the upstream got, each as its items.
func (u *server) batches(t *testing.T, itemsField string) [][]json.RawMessage {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	var out [][]json.RawMessage
	for _, b := range u.bodies {
		out = append(out, itemsOf(t, b, itemsField))
	}
	return out
}

// itemsOf parses a batch body: a bare array, or an array under field.
func itemsOf(t *testing.T, body []byte, field string) []json.RawMessage {
	t.Helper()
	if field != "" {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			t.Errorf("batch %s: %v", body, err)
			return nil
		}
		body = obj[field]
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		t.Errorf("batch %s: %v", body, err)
	}
	return items
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// proxy is a running app whose route POST /p is a batch_proxy.
type proxy struct {
	url    string
	client *http.Client
}

// startProxy parses a config whose route POST /p is a batch_proxy with
// the given options (a YAML flow mapping), and serves it on loopback until
// the test ends.
func startProxy(t *testing.T, options string) *proxy {
	t.Helper()
	src := "routes:\n  - method: POST\n    path: /p\n    handler: batch_proxy\n    timeout: 5s\n    options: " + options + "\n"
	base, client, _ := serveConfig(t, src)
	return &proxy{url: base + "/p", client: client}
}

// serveConfig parses src with the kinds of this package and of package
// upstream (proxy, and the section upstreams), serves it on loopback until
// the test ends, and returns its base URL, a client, and the configuration.
func serveConfig(t *testing.T, src string) (string, *http.Client, *config.Config) {
	t.Helper()
	reg := &config.Registry{}
	batchproxy.Register(reg)
	upstream.Register(reg)
	cfg, err := config.Parse("proxy.yaml", []byte(src), reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.App.HTTP.Addr, cfg.App.Admin.Addr = "127.0.0.1:0", "off"
	app := cfg.Build(troupe.WithLogger(zap.NewNop()))
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return "http://" + app.Addr().String(), &http.Client{Transport: tr, Timeout: 10 * time.Second}, cfg
}

// reply is what a client got.
type reply struct {
	status int
	header http.Header
	body   string
}

func (p *proxy) post(t *testing.T, body string, header ...string) reply {
	t.Helper()
	return p.do(t, http.MethodPost, body, header...)
}

// do sends a request with method and body to the proxy's URL.
func (p *proxy) do(t *testing.T, method, body string, header ...string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, p.url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := p.client.Do(req)
	if err != nil {
		t.Error(err)
		return reply{}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: strings.TrimSpace(string(b))}
}

// concurrently runs f(i) for i in [0, n) on n goroutines and waits.
func concurrently(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}
