package troupe_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/internal/fakeclock"
	"github.com/troupe-go/troupe/supervisor"
)

// Past its restart intensity a stage is marked down: its routes answer 503
// at once, and after the back-off it serves again. /readyz turns false only
// if the stage is marked critical: a poison input that crash-loops one
// stage must not take every replica out of a load balancer.
func TestCrashLoopMarksStageDown(t *testing.T) {
	tests := []struct {
		name      string
		critical  bool
		wantReady int
	}{
		{name: "not critical: the server stays ready", critical: false, wantReady: http.StatusOK},
		{name: "critical: the server is not ready", critical: true, wantReady: http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { crashLoop(t, tt.critical, tt.wantReady) })
	}
}

func crashLoop(t *testing.T, critical bool, wantReady int) {
	clock := fakeclock.New()
	crashing := troupe.Stage("crashing", actors.Business, actors.StageFunc(func(ex *actors.Exchange) error {
		if ex.Request.URL.Query().Get("crash") == "1" {
			panic("crash")
		}
		return nil
	}))
	cfg := troupe.Config{Policies: map[string]supervisor.Policy{"crashing": {MaxRestarts: 3, Window: time.Second, Backoff: 5 * time.Second, Critical: critical}}}
	s := start(t, cfg, func(app *troupe.App) {
		app.Handle("GET", "/fragile", ok("fragile")).With(crashing)
		app.Handle("GET", "/sturdy", ok("sturdy"))
	}, troupe.WithClock(clock))

	for range 4 {
		if r := s.do(t, "GET", "/fragile?crash=1", ""); r.status != http.StatusInternalServerError {
			t.Fatalf("crash: status %d, want 500", r.status)
		}
	}
	// "At once" as against the 5 s back-off or the 10 s deadline a queued
	// request would wait for; a second leaves room for a loaded machine.
	const bound = time.Second
	for range 20 {
		r := s.do(t, "GET", "/fragile", "")
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "5" {
			t.Fatalf("while down: status %d Retry-After %q, want 503 and 5", r.status, r.header.Get("Retry-After"))
		}
		if r.took > bound {
			t.Errorf("a 503 for a down stage took %s, want < %s", r.took, bound)
		}
	}
	if r := s.do(t, "GET", "/sturdy", ""); r.status != http.StatusOK {
		t.Errorf("a route without the stage: status %d, want 200", r.status)
	}
	ready := s.adminGet(t, "/readyz")
	if ready.status != wantReady {
		t.Errorf("/readyz while down = %d %s, want %d", ready.status, ready.body, wantReady)
	}
	if !strings.Contains(ready.body, "stage crashing is down") {
		t.Errorf("/readyz while down = %s, want it to name the stage", ready.body)
	}
	if metrics := s.adminGet(t, "/metrics").body; !strings.Contains(metrics, `troupe_stage_down{stage="crashing"} 1`) {
		t.Error(`/metrics lacks troupe_stage_down{stage="crashing"} 1`)
	}

	clock.Advance(5 * time.Second)
	if r := s.do(t, "GET", "/fragile", ""); r.status != http.StatusOK {
		t.Errorf("after the back-off: status %d, want 200", r.status)
	}
	if ready := s.adminGet(t, "/readyz"); ready.status != http.StatusOK {
		t.Errorf("/readyz after the back-off = %d %s, want 200", ready.status, ready.body)
	}
}

// blocker is a blocking handler that holds every request until released,
// telling entered about each arrival.
type blocker struct {
	entered chan string
	release chan struct{}
}

func newBlocker(capacity int) *blocker {
	// entered is buffered so that the handler never waits on the test.
	return &blocker{entered: make(chan string, capacity), release: make(chan struct{})}
}

func (b *blocker) spec(name string) *actors.Spec {
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: actors.Terminating,
		Stage: actors.StageFunc(func(ex *actors.Exchange) error {
			b.entered <- ex.Request.URL.RawQuery
			select {
			case <-b.release:
				ex.Respond(http.StatusOK, "text/plain", []byte(strings.Repeat("x", 64<<10)))
				return nil
			case <-ex.Context().Done():
				return ex.Context().Err()
			}
		})}
}

// Past the in-flight limit a request gets 503 with Retry-After at once,
// never a timeout; the admitted ones complete.
func TestOverloadIsRejectedAtOnce(t *testing.T) {
	const limit = 4
	b := newBlocker(limit)
	s := start(t, troupe.Config{HTTP: httpin.Config{MaxInFlight: limit}}, func(app *troupe.App) {
		app.Handle("GET", "/slow", b.spec("slow"))
	})
	var wg sync.WaitGroup
	admitted := make([]response, limit)
	for i := range limit {
		wg.Go(func() { admitted[i] = s.do(t, "GET", "/slow", "") })
	}
	for range limit {
		<-b.entered
	}
	for range 50 {
		r := s.do(t, "GET", "/slow", "")
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
			t.Fatalf("over the limit: status %d Retry-After %q, want 503 with Retry-After", r.status, r.header.Get("Retry-After"))
		}
		// A refusal that waited would wait for the release, after this
		// loop: 2 s of slack is for a loaded machine, not a speed figure.
		if r.took > 2*time.Second {
			t.Errorf("a rejection took %s", r.took)
		}
	}
	close(b.release)
	wg.Wait()
	for i, r := range admitted {
		if r.status != http.StatusOK || len(r.body) != 64<<10 {
			t.Errorf("admitted request %d: status %d, %d bytes; want 200 and 65536", i, r.status, len(r.body))
		}
	}
}

// A stage slower than the deadline: the client gets 504 at the deadline, and
// the stage sees its context end.
func TestDeadlineAnswers504(t *testing.T) {
	const deadline = 300 * time.Millisecond
	b := newBlocker(1)
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle("GET", "/slow", b.spec("slow")).Timeout(deadline)
	})
	r := s.do(t, "GET", "/slow", "")
	if r.status != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504", r.status)
	}
	// Not before the deadline; after it, the stage blocks for good, so a
	// second of slack (for a loaded machine) still tells the two apart.
	if d := r.took - deadline; d < -50*time.Millisecond || d > time.Second {
		t.Errorf("504 after %s, want %s (-50ms, +1s)", r.took, deadline)
	}
	if !strings.Contains(r.body, `"status":504`) {
		t.Errorf("body %s is not a 504 problem", r.body)
	}
}

// A client that goes away abandons its queued work: the stage never sees it.
func TestClientDisconnectCancelsQueuedWork(t *testing.T) {
	b := newBlocker(8)
	one := &actors.Spec{Name: "one-at-a-time", Kind: actors.Stateless, Concurrency: 1, Priority: actors.Terminating, Stage: b.spec("x").Stage}
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle("GET", "/one", one)
	})
	var wg sync.WaitGroup
	wg.Go(func() { s.do(t, "GET", "/one?first", "") })
	if got := <-b.entered; got != "first" {
		t.Fatalf("entered %q, want first", got)
	}
	ctx, cancel := context.WithCancel(t.Context())
	gone := make(chan error, 1) // one result, read once
	go func() {
		_, err := s.try(ctx, "GET", "/one?gone", "")
		gone <- err
	}()
	waitInFlight(t, s, 2) // first is running, gone is queued behind it
	cancel()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled client: err = %v, want context.Canceled", err)
	}
	waitInFlight(t, s, 1) // the ingress has seen the client go
	close(b.release)
	wg.Wait()
	if r := s.do(t, "GET", "/one?last", ""); r.status != http.StatusOK {
		t.Fatalf("last: status %d", r.status)
	}
	close(b.entered)
	for q := range b.entered {
		if q == "gone" {
			t.Error("the stage ran the request of a client that had gone away")
		}
	}
}

// waitInFlight polls the in-flight gauge until it reads n (bounded).
func waitInFlight(t *testing.T, s *server, n int) {
	t.Helper()
	want := "troupe_requests_in_flight " + string(rune('0'+n)) + "\n"
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.adminGet(t, "/metrics").body, want) {
		if time.Now().After(deadline) {
			t.Fatalf("in-flight never reached %d", n)
		}
	}
}

// Graceful shutdown under load: every request accepted before it completes
// with a full response; once it has begun, new connections are refused.
func TestGracefulShutdownFinishesAcceptedRequests(t *testing.T) {
	const inFlight = 32
	b := newBlocker(inFlight)
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle("GET", "/slow", b.spec("slow"))
	})
	var wg sync.WaitGroup
	results := make([]response, inFlight)
	errs := make([]error, inFlight)
	for i := range inFlight {
		wg.Go(func() { results[i], errs[i] = s.try(context.Background(), "GET", "/slow", "") })
	}
	for range inFlight {
		<-b.entered
	}
	addr := s.app.Addr().String()
	stopped := make(chan error, 1) // Shutdown's one result
	go func() { stopped <- s.app.Shutdown(context.Background()) }()

	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			// Refused, or reset when the dial raced the listener's close:
			// either way the connection was never served.
			if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("dial during shutdown: %v, want connection refused", err)
			}
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections during shutdown")
		}
	}
	close(b.release)
	wg.Wait()
	if err := <-stopped; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	for i := range inFlight {
		if errs[i] != nil || results[i].status != http.StatusOK || len(results[i].body) != 64<<10 {
			t.Errorf("request %d: err %v status %d, %d bytes; want 200 with 65536", i, errs[i], results[i].status, len(results[i].body))
		}
	}
}

// A stage that shortens the deadline (a timeout stage) makes the client get
// 504 at the shorter deadline, not the route's.
func TestShortenedDeadlineAnswers504(t *testing.T) {
	const short = 200 * time.Millisecond
	b := newBlocker(1)
	// Blocking, so that it runs on another goroutine than the ingress: the
	// race detector then checks that the two never touch the deadline at once.
	shorten := &actors.Spec{Name: "shorten", Kind: actors.Stateless, Priority: actors.Global, Stage: actors.StageFunc(func(ex *actors.Exchange) error {
		ex.Shorten(ex.Start.Add(short))
		return nil
	})}
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle("GET", "/slow", b.spec("slow")).With(shorten).Timeout(5 * time.Second)
	})
	r := s.do(t, "GET", "/slow", "")
	if r.status != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504", r.status)
	}
	// The route's own deadline is 5 s: a second of slack past the short
	// one (for a loaded machine) still tells them apart.
	if d := r.took - short; d < -50*time.Millisecond || d > time.Second {
		t.Errorf("504 after %s, want %s (-50ms, +1s)", r.took, short)
	}
	<-b.entered // the blocking stage saw the request, and its context carried the short deadline
}
