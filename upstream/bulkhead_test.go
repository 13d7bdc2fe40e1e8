package upstream

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
)

// gate is an upstream handler that holds every call until it is opened.
type gate chan struct{}

func (g gate) handler(w http.ResponseWriter, r *http.Request) {
	select {
	case <-g:
		_, _ = w.Write([]byte("ok"))
	case <-r.Context().Done():
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// With the bulkhead's places taken, more requests are refused at once
// through a running app (the proxy's pool has actors to spare for that),
// and the upstream never has more calls than the limit.
func TestBulkheadRejectsAtOnce(t *testing.T) {
	const limit = 4
	g := make(gate)
	srv := newUpstreamServer(t, g.handler)
	a := startApp(t, func(a *troupe.App) {
		o := Options{Config: Config{Targets: []string{srv.URL}, Bulkhead: BulkheadConfig{MaxConcurrent: limit}}}
		a.Handle("GET", "/x", route(t, a, "x", o).Spec("GET /x"))
	})
	held := make(chan reply, limit)
	for range limit {
		go func() { held <- a.do("GET", "/x", "") }()
	}
	waitFor(t, "the upstream to hold the limit", func() bool { return srv.inFlight.Load() == limit })

	var wg sync.WaitGroup
	var mu sync.Mutex
	var slowest time.Duration
	for range 40 {
		wg.Go(func() {
			r := a.do("GET", "/x", "")
			if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "1" {
				t.Errorf("past the limit: %d, Retry-After %q; want 503, 1", r.status, r.header.Get("Retry-After"))
			}
			mu.Lock()
			slowest = max(slowest, r.took)
			mu.Unlock()
		})
	}
	wg.Wait()
	t.Logf("slowest refusal of 40 concurrent ones: %v", slowest)
	if !raceEnabled && slowest > 100*time.Millisecond {
		t.Errorf("slowest refusal took %v: not at once", slowest)
	}
	close(g)
	for range limit {
		if r := <-held; r.status != http.StatusOK {
			t.Errorf("held request: %d, want 200", r.status)
		}
	}
	if got := srv.maxInFlight(); got != limit {
		t.Errorf("the upstream had %d calls at once, want the limit, %d", got, limit)
	}
}

// With max_wait, a request waits for a place that comes free in time, and
// is refused when none does.
func TestBulkheadWait(t *testing.T) {
	g := make(gate)
	srv := newUpstreamServer(t, g.handler)
	p := proxy(t, Config{Targets: []string{srv.URL}, Bulkhead: BulkheadConfig{MaxConcurrent: 1, MaxWait: 200 * time.Millisecond}}, ProxyConfig{})
	held := make(chan answer, 1)
	go func() { held <- get(t, p, "/x", 5*time.Second) }()
	waitFor(t, "the first call", func() bool { return srv.inFlight.Load() == 1 })
	if a := get(t, p, "/x", 5*time.Second); a.status != http.StatusServiceUnavailable || a.took < 200*time.Millisecond {
		t.Errorf("waiting in vain: %d after %v, want 503 after max_wait", a.status, a.took)
	}
	waiter := make(chan answer, 1)
	go func() { waiter <- get(t, p, "/x", 5*time.Second) }()
	waitFor(t, "the waiter", func() bool { return p.up.bulkhead.waiting() == 1 })
	close(g) // the first call ends, the waiter gets its place
	if a := <-held; a.status != http.StatusOK {
		t.Errorf("first: %d", a.status)
	}
	if a := <-waiter; a.status != http.StatusOK {
		t.Errorf("waiter: %d, want 200 once the place came free", a.status)
	}
}

// A waiter whose request ends stops waiting.
func TestBulkheadWaitEndsWithRequest(t *testing.T) {
	b := newBulkhead(BulkheadConfig{MaxConcurrent: 1, MaxWait: time.Minute, MaxWaiting: 1})
	p, _, err := b.acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if _, _, err := b.acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("acquire with the place taken = %v, want the context's error", err)
	}
	p.Release()
	if b.inUse() != 0 || b.waiting() != 0 {
		t.Errorf("inUse = %d, waiting %d after release", b.inUse(), b.waiting())
	}
}
