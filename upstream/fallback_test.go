package upstream

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/internal/fakeclock"
	"github.com/troupe-go/troupe/stages/cache"
)

// The cache stage's last good response is a proxy's fallback: with
// stale_if_error, a route whose upstream fails, and then whose breaker is
// open, answers with the stale response (X-Cache: STALE), and the open
// breaker still keeps every call from the upstream.
func TestOpenFallsBackToTheCache(t *testing.T) {
	var failing atomic.Bool
	srv := newUpstreamServer(t, func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("last good"))
	})
	clock := fakeclock.New()
	cached, err := cache.New("cache", cache.Config{TTL: time.Second, StaleIfError: time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	cfg := downConfig(srv.URL)
	cfg.Breaker.ConsecutiveFailures = 2
	cfg.Retry.MaxAttempts = 1
	a := startApp(t, func(a *troupe.App) {
		p := route(t, a, "p", Options{Config: cfg, ProxyConfig: ProxyConfig{BufferResponse: true}}) // the cache keeps whole bodies only
		a.Handle("GET", "/p", p.Spec("GET /p")).With(cached)
	})
	check := func(what, xcache string) {
		t.Helper()
		r := a.do("GET", "/p", "")
		if r.err != nil || r.status != http.StatusOK || r.body != "last good" || r.header.Get("X-Cache") != xcache {
			t.Fatalf("%s: %d X-Cache %q %q %v, want 200 %s and the last good body", what, r.status, r.header.Get("X-Cache"), r.body, r.err, xcache)
		}
	}
	check("healthy", cache.Miss)
	clock.Advance(2 * time.Second) // stale
	failing.Store(true)
	check("upstream failing", cache.Stale)
	check("upstream failing, breaker trips", cache.Stale)
	calls := srv.calls.Load()
	if calls != 3 {
		t.Fatalf("upstream calls = %d, want 3 (one good, two failures to trip)", calls)
	}
	for range 10 {
		check("breaker open", cache.Stale)
	}
	if got := srv.calls.Load(); got != calls {
		t.Errorf("upstream calls with the breaker open: %d more, want none", got-calls)
	}
}
