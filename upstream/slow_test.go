package upstream

import (
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
)

// hang waits for the call to be cancelled (or a minute).
func hang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(time.Minute):
		w.WriteHeader(http.StatusOK)
	}
}

// Through the handler alone: a hanging upstream ends the call with 504 at
// the request's deadline.
func TestSlowHandlerDeadline(t *testing.T) {
	srv := newUpstreamServer(t, hang)
	p := proxy(t, Config{Targets: []string{srv.URL}}, ProxyConfig{})
	const deadline = 100 * time.Millisecond
	a := get(t, p, "/slow", deadline)
	// Not before the deadline, and nowhere near the upstream's minute: the
	// second of slack is for a loaded machine, not a figure of speed.
	if a.status != http.StatusGatewayTimeout || a.took < deadline-time.Millisecond || a.took > deadline+time.Second {
		t.Errorf("hanging upstream: %d after %v, want 504 at %v (+ up to 1s)", a.status, a.took, deadline)
	}
}

// Through a running app: 1,000 requests to a hanging upstream each get 504
// at the route's deadline, not at the upstream's own minute, and leave no
// goroutine behind.
func TestSlowUpstreamDeadline(t *testing.T) {
	srv := newUpstreamServer(t, hang)
	const timeout = 200 * time.Millisecond
	var pool int // the proxy's concurrency cap: the most requests it runs at once
	a := startApp(t, func(a *troupe.App) {
		o := Options{Config: Config{Targets: []string{srv.URL}, Breaker: BreakerConfig{Disabled: true},
			Bulkhead: BulkheadConfig{MaxConcurrent: 200}}}
		spec := route(t, a, "slow", o).Spec("GET /slow")
		pool = o.Bulkhead.MaxConcurrent
		a.Handle("GET", "/slow", spec).Timeout(timeout)
	})
	a.do("GET", "/slow", "") // warm up: connections, pools, actors
	a.transport.CloseIdleConnections()
	// Counted at once: connections still closing can only raise the
	// baseline, and a leak from 1,000 requests would dwarf them.
	before := runtime.NumGoroutine()

	const n, clients = 1000, 50
	var mu sync.Mutex
	var worst time.Duration
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for range n / clients {
				r := a.do("GET", "/slow", "")
				if r.status != http.StatusGatewayTimeout {
					t.Errorf("client %d: %d %v, want 504", c, r.status, r.err)
					return
				}
				mu.Lock()
				worst = max(worst, r.took)
				mu.Unlock()
				if r.took < timeout {
					t.Errorf("504 after %v, before the deadline %v", r.took, timeout)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("slowest 504 of %d: %v (deadline %v, race detector %v)", n, worst, timeout, raceEnabled)
	// The 504 closes the connection (the request's goroutine may still be
	// in the stage), so each request here dials anew; with 50 clients on a
	// loaded 2-core machine that added up to 250 ms to the slowest. A
	// second is far below the hang's minute, which is what a missed
	// deadline would wait for.
	if worst > timeout+time.Second {
		t.Errorf("slowest 504 after %v, want within a second of the deadline %v", worst, timeout)
	}
	a.transport.CloseIdleConnections()
	// Connections the server has not finished closing may hold a goroutine
	// each for a moment; goleak checks the rest when the app stops.
	waitFor(t, "the goroutines to come back down", func() bool { return runtime.NumGoroutine() <= before+pool+2 })
	t.Logf("goroutines: %d before the %d requests, %d after", before, n, runtime.NumGoroutine())
}
