package cache_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/fakeclock"
	"github.com/troupe-go/troupe/stages/cache"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// server is an app with a cache in front of its /c group, running on
// loopback.
type server struct {
	url    string
	client *http.Client
	calls  atomic.Int64 // handler runs
	clock  *fakeclock.Clock
	// failWith, when set, is the status GET /c/up/{id} fails with.
	failWith atomic.Int64
}

// start runs an app whose /c group has a cache configured by cfg (its
// clock replaced by a fake one), with these routes:
//
//	GET /c/items/{id}  {"id":…,"n":CALLS}; ?cc=… sets Cache-Control
//	GET /c/lang        "hello LANG", Vary: Accept-Language
//	GET /c/big/{id}    2000 bytes
//	GET /c/up/{id}     "up ID CALLS", or fails with s.failWith (Retry-After 30)
func start(t *testing.T, cfg cache.Config) *server {
	t.Helper()
	s := &server{clock: fakeclock.New()}
	cfg.Now = s.clock.Now
	spec, err := cache.New("cache", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var appCfg troupe.Config
	appCfg.HTTP.Addr = "127.0.0.1:0"
	appCfg.Admin.Addr = "off"
	app := troupe.New(appCfg, troupe.WithLogger(zap.NewNop()))
	app.Group("/c", spec).GET("/items/{id}", func(ex *actors.Exchange) error {
		n := s.calls.Add(1)
		if cc := ex.Request.URL.Query().Get("cc"); cc != "" {
			ex.Response.Header().Set("Cache-Control", cc)
		}
		return ex.JSON(http.StatusOK, map[string]any{"id": ex.Params.Get("id"), "n": n})
	})
	app.Group("/c", spec).GET("/lang", func(ex *actors.Exchange) error {
		s.calls.Add(1)
		ex.Response.Header().Set("Vary", "Accept-Language")
		ex.Respond(http.StatusOK, "text/plain", []byte("hello "+ex.Request.Header.Get("Accept-Language")))
		return nil
	})
	app.Group("/c", spec).GET("/big/{id}", func(ex *actors.Exchange) error {
		s.calls.Add(1)
		ex.Respond(http.StatusOK, "text/plain", []byte(strings.Repeat(ex.Params.Get("id"), 2000)))
		return nil
	})
	app.Group("/c", spec).GET("/up/{id}", func(ex *actors.Exchange) error {
		n := s.calls.Add(1)
		if status := s.failWith.Load(); status != 0 {
			return &actors.Error{Status: int(status), Detail: "the upstream is down", RetryAfter: 30 * time.Second}
		}
		if cc := ex.Request.URL.Query().Get("cc"); cc != "" {
			ex.Response.Header().Set("Cache-Control", cc)
		}
		ex.Respond(http.StatusOK, "text/plain", []byte(fmt.Sprintf("up %s %d", ex.Params.Get("id"), n)))
		return nil
	})
	startApp(t, app)
	tr := &http.Transport{}
	s.url = "http://" + app.Addr().String()
	s.client = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return s
}

// startApp starts app and shuts it down when the test ends.
func startApp(t *testing.T, app *troupe.App) {
	t.Helper()
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
}

// reply is what one request got.
type reply struct {
	status int
	cache  string // X-Cache
	etag   string
	body   string
}

func (s *server) get(t *testing.T, method, path string, header ...string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: res.StatusCode, cache: res.Header.Get("X-Cache"), etag: res.Header.Get("Etag"), body: string(b)}
}

// expect checks a reply's status, X-Cache and body.
func expect(t *testing.T, what string, got reply, status int, xcache, body string) {
	t.Helper()
	if got.status != status || got.cache != xcache || got.body != body {
		t.Errorf("%s = %d X-Cache %q %q; want %d %q %q", what, got.status, got.cache, got.body, status, xcache, body)
	}
}

func TestHTTPMissThenHit(t *testing.T) {
	s := start(t, cache.Config{})
	expect(t, "first GET", s.get(t, "GET", "/c/items/1"), 200, "MISS", `{"id":"1","n":1}`)
	expect(t, "second GET", s.get(t, "GET", "/c/items/1"), 200, "HIT", `{"id":"1","n":1}`)
	expect(t, "HEAD", s.get(t, "HEAD", "/c/items/1"), 200, "HIT", "")
	expect(t, "another item", s.get(t, "GET", "/c/items/2"), 200, "MISS", `{"id":"2","n":2}`)
	expect(t, "another spelling of the path", s.get(t, "GET", "/c//items/./1"), 200, "HIT", `{"id":"1","n":1}`)
	if n := s.calls.Load(); n != 2 {
		t.Errorf("handler ran %d times, want 2", n)
	}
}

func TestHTTPETag(t *testing.T) {
	s := start(t, cache.Config{})
	first := s.get(t, "GET", "/c/items/1")
	if !strings.HasPrefix(first.etag, `"`) || len(first.etag) != 45 {
		t.Fatalf("ETag = %q, want a strong SHA-256 tag", first.etag)
	}
	expect(t, "If-None-Match on a hit", s.get(t, "GET", "/c/items/1", "If-None-Match", first.etag), 304, "HIT", "")
	expect(t, "weak If-None-Match", s.get(t, "GET", "/c/items/1", "If-None-Match", `"x", W/`+first.etag), 304, "HIT", "")
	expect(t, "other If-None-Match", s.get(t, "GET", "/c/items/1", "If-None-Match", `"x"`), 200, "HIT", `{"id":"1","n":1}`)
	// A miss is answered 304 too, once the handler has answered: item 2's
	// first body is {"id":"2","n":2}, whose tag the client may know.
	tag2 := etagOf(`{"id":"2","n":2}`)
	expect(t, "If-None-Match on a miss", s.get(t, "GET", "/c/items/2", "If-None-Match", tag2), 304, "MISS", "")
	expect(t, "then a hit", s.get(t, "GET", "/c/items/2"), 200, "HIT", `{"id":"2","n":2}`)
}

func TestHTTPVary(t *testing.T) {
	s := start(t, cache.Config{})
	expect(t, "en", s.get(t, "GET", "/c/lang", "Accept-Language", "en"), 200, "MISS", "hello en")
	expect(t, "fr", s.get(t, "GET", "/c/lang", "Accept-Language", "fr"), 200, "MISS", "hello fr")
	expect(t, "en again", s.get(t, "GET", "/c/lang", "Accept-Language", "en"), 200, "HIT", "hello en")
	expect(t, "fr again", s.get(t, "GET", "/c/lang", "Accept-Language", "fr"), 200, "HIT", "hello fr")
	expect(t, "none", s.get(t, "GET", "/c/lang"), 200, "MISS", "hello ")
}

func TestHTTPNoStore(t *testing.T) {
	s := start(t, cache.Config{})
	expect(t, "response no-store", s.get(t, "GET", "/c/items/1?cc=no-store"), 200, "MISS", `{"id":"1","n":1}`)
	expect(t, "response no-store again", s.get(t, "GET", "/c/items/1?cc=no-store"), 200, "MISS", `{"id":"1","n":2}`)
	expect(t, "request no-store", s.get(t, "GET", "/c/items/1", "Cache-Control", "no-store"), 200, "BYPASS", `{"id":"1","n":3}`)
	expect(t, "after a bypass", s.get(t, "GET", "/c/items/1"), 200, "MISS", `{"id":"1","n":4}`)
	expect(t, "request no-cache", s.get(t, "GET", "/c/items/1", "Cache-Control", "no-cache"), 200, "MISS", `{"id":"1","n":5}`)
	expect(t, "refreshed", s.get(t, "GET", "/c/items/1"), 200, "HIT", `{"id":"1","n":5}`)
}

func TestHTTPEvictionByBytes(t *testing.T) {
	// One partition of 8 KiB holds three 2000-byte bodies with their
	// headers and bookkeeping, not four.
	s := start(t, cache.Config{Partitions: 1, MaxBytes: 8 << 10})
	for _, id := range []string{"a", "b", "c"} {
		expect(t, "fill "+id, s.get(t, "GET", "/c/big/"+id), 200, "MISS", strings.Repeat(id, 2000))
	}
	expect(t, "a is in", s.get(t, "GET", "/c/big/a"), 200, "HIT", strings.Repeat("a", 2000)) // a is now the most recent
	expect(t, "d evicts b", s.get(t, "GET", "/c/big/d"), 200, "MISS", strings.Repeat("d", 2000))
	expect(t, "b is out", s.get(t, "GET", "/c/big/b"), 200, "MISS", strings.Repeat("b", 2000)) // evicts c
	expect(t, "a stays", s.get(t, "GET", "/c/big/a"), 200, "HIT", strings.Repeat("a", 2000))
	expect(t, "d stays", s.get(t, "GET", "/c/big/d"), 200, "HIT", strings.Repeat("d", 2000))
	expect(t, "c is out", s.get(t, "GET", "/c/big/c"), 200, "MISS", strings.Repeat("c", 2000))
}

func TestHTTPTTL(t *testing.T) {
	s := start(t, cache.Config{TTL: 30 * time.Second})
	expect(t, "miss", s.get(t, "GET", "/c/items/1"), 200, "MISS", `{"id":"1","n":1}`)
	s.clock.Advance(29 * time.Second)
	expect(t, "29s later", s.get(t, "GET", "/c/items/1"), 200, "HIT", `{"id":"1","n":1}`)
	s.clock.Advance(time.Second)
	expect(t, "30s later", s.get(t, "GET", "/c/items/1"), 200, "MISS", `{"id":"1","n":2}`)
	expect(t, "max-age=5", s.get(t, "GET", "/c/items/2?cc=max-age%3D5"), 200, "MISS", `{"id":"2","n":3}`)
	s.clock.Advance(5 * time.Second)
	expect(t, "5s later", s.get(t, "GET", "/c/items/2?cc=max-age%3D5"), 200, "MISS", `{"id":"2","n":4}`)
}

// TestHTTPPartitions checks that with partitioned actors every response
// is stored by the actor that later looks it up: the after-phase runs
// where Process did. Were it not so, some of the second round would miss.
func TestHTTPPartitions(t *testing.T) {
	s := start(t, cache.Config{Partitions: 8})
	const n = 64
	for i := range n {
		if got := s.get(t, "GET", fmt.Sprintf("/c/items/%d?k=%d", i, i)); got.cache != "MISS" {
			t.Fatalf("first GET of %d: X-Cache %q, want MISS", i, got.cache)
		}
	}
	var wg sync.WaitGroup
	var misses atomic.Int64
	for i := range n {
		wg.Go(func() {
			for range 4 {
				req, _ := http.NewRequest("GET", fmt.Sprintf("%s/c/items/%d?k=%d", s.url, i, i), nil)
				res, err := s.client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.Header.Get("X-Cache") != "HIT" {
					misses.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if m := misses.Load(); m != 0 || s.calls.Load() != n {
		t.Errorf("second round: %d misses, handler ran %d times; want 0 and %d", m, s.calls.Load(), n)
	}
}

// TestHTTPPartitionsSurviveRewrites has a later stage rewrite the request
// after the cache's Process. The itinerary picks the actor for the
// after-phase by asking PartitionKey again; the cache keeps the key it
// worked out first, so the response is still stored where the next
// request looks.
func TestHTTPPartitionsSurviveRewrites(t *testing.T) {
	spec, err := cache.New("cache", cache.Config{Partitions: 8})
	if err != nil {
		t.Fatal(err)
	}
	rewrite := troupe.Stage("rewrite", actors.Business, actors.StageFunc(func(ex *actors.Exchange) error {
		ex.Request.URL.RawQuery = "rewritten=" + ex.Request.URL.RawQuery
		ex.Path += "/rewritten"
		return nil
	}))
	var calls atomic.Int64
	var appCfg troupe.Config
	appCfg.HTTP.Addr = "127.0.0.1:0"
	appCfg.Admin.Addr = "off"
	app := troupe.New(appCfg, troupe.WithLogger(zap.NewNop()))
	app.Group("/c", spec, rewrite).GET("/items/{id}", func(ex *actors.Exchange) error {
		calls.Add(1)
		ex.Respond(http.StatusOK, "text/plain", []byte(ex.Params.Get("id")))
		return nil
	})
	startApp(t, app)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	s := &server{url: "http://" + app.Addr().String(), client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
	const n = 32
	for round, want := range []string{"MISS", "HIT"} {
		for i := range n {
			if got := s.get(t, "GET", fmt.Sprintf("/c/items/%d?k=%d", i, i)); got.cache != want {
				t.Errorf("round %d, item %d: X-Cache %q, want %q", round, i, got.cache, want)
			}
		}
	}
	if calls.Load() != n {
		t.Errorf("handler ran %d times, want %d", calls.Load(), n)
	}
}

// With StaleIfError, an error from the route (500, 502, 503, 504) is
// answered with the last good response while it is at most that stale,
// without the error's headers; other errors, responses that must be
// revalidated and responses staler than that get the error.
func TestHTTPStaleIfError(t *testing.T) {
	s := start(t, cache.Config{TTL: 10 * time.Second, StaleIfError: time.Minute})
	expect(t, "first GET", s.get(t, "GET", "/c/up/1"), 200, "MISS", "up 1 1")
	expect(t, "must-revalidate", s.get(t, "GET", "/c/up/2?cc=must-revalidate"), 200, "MISS", "up 2 2")
	s.failWith.Store(http.StatusServiceUnavailable)
	expect(t, "while fresh", s.get(t, "GET", "/c/up/1"), 200, "HIT", "up 1 1")

	s.clock.Advance(30 * time.Second) // stale, within stale_if_error
	got := s.get(t, "GET", "/c/up/1")
	expect(t, "stale, upstream down", got, 200, "STALE", "up 1 1")
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.url+"/c/up/1", nil)
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if ra, age, ct := res.Header.Get("Retry-After"), res.Header.Get("Age"), res.Header.Get("Content-Type"); ra != "" || age != "30" || ct != "text/plain" {
		t.Errorf("stale response: Retry-After %q, Age %q, Content-Type %q; want none, 30, text/plain", ra, age, ct)
	}
	if got := s.get(t, "GET", "/c/up/2?cc=must-revalidate"); got.status != http.StatusServiceUnavailable {
		t.Errorf("must-revalidate response, stale: %d %q, want the 503", got.status, got.body)
	}
	s.failWith.Store(http.StatusNotFound)
	if got := s.get(t, "GET", "/c/up/1"); got.status != http.StatusNotFound {
		t.Errorf("a 404 with a stale entry: %d %q, want the 404", got.status, got.body)
	}
	s.failWith.Store(http.StatusBadGateway)
	expect(t, "stale, 502", s.get(t, "GET", "/c/up/1"), 200, "STALE", "up 1 1")

	s.clock.Advance(41 * time.Second) // 71s old: past ttl + stale_if_error
	if got := s.get(t, "GET", "/c/up/1"); got.status != http.StatusBadGateway {
		t.Errorf("too stale: %d %q, want the 502", got.status, got.body)
	}
	s.failWith.Store(0)
	next := s.calls.Load() + 1
	expect(t, "recovered", s.get(t, "GET", "/c/up/1"), 200, "MISS", fmt.Sprintf("up 1 %d", next))
}

// Without StaleIfError an expired response is gone: errors pass through.
func TestHTTPNoStaleByDefault(t *testing.T) {
	s := start(t, cache.Config{TTL: 10 * time.Second})
	expect(t, "first GET", s.get(t, "GET", "/c/up/1"), 200, "MISS", "up 1 1")
	s.failWith.Store(http.StatusServiceUnavailable)
	s.clock.Advance(11 * time.Second)
	if got := s.get(t, "GET", "/c/up/1"); got.status != http.StatusServiceUnavailable {
		t.Errorf("expired, no stale_if_error: %d %q, want the 503", got.status, got.body)
	}
}
