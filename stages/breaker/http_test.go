package breaker_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/stages/breaker"
	"go.uber.org/zap"
)

// server is an app running on loopback, and a client for it.
type server struct {
	url    string
	client *http.Client
}

// start runs an app declared by declare on 127.0.0.1 and shuts it down when
// the test ends.
func start(t *testing.T, declare func(app *troupe.App)) *server {
	t.Helper()
	app := troupe.New(troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0"}, Admin: troupe.AdminConfig{Addr: "off"}}, troupe.WithLogger(zap.NewNop()))
	declare(app)
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(func() {
		tr.CloseIdleConnections() // first: Shutdown waits for a dialled, unused connection
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return &server{url: "http://" + app.Addr().String(), client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// response is what a request got back.
type response struct {
	status      int
	retryAfter  string
	contentType string
	body        string
	err         error
}

func (s *server) get(ctx context.Context, path string) response {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+path, nil)
	if err != nil {
		return response{err: err}
	}
	res, err := s.client.Do(req)
	if err != nil {
		return response{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return response{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After"), contentType: res.Header.Get("Content-Type"), body: string(b), err: err}
}

// A database that fails trips the breaker of a route group after the
// threshold; then every request is refused at once, over HTTP, with 503
// problem+json and a Retry-After within the open timeout, and the
// database is not called — on every route of the group, which share the
// one breaker.
func TestDatabaseOutageOverHTTP(t *testing.T) {
	const openTimeout = time.Minute
	d := newDB()
	spec := mustNew(t, breaker.Config{ConsecutiveFailures: 3, OpenTimeout: openTimeout})
	s := start(t, func(app *troupe.App) {
		app.Add(breaker.Metrics(spec))
		api := app.Group("/api").Use(spec)
		api.GET("/orders", d.handler)
		api.GET("/customers", d.handler)
	})
	d.down.Store(true)
	for i := range 3 {
		if r := s.get(t.Context(), "/api/orders"); r.status != http.StatusInternalServerError {
			t.Fatalf("request %d while the database is down: %d %v, want 500", i+1, r.status, r.err)
		}
	}
	for i := range 20 {
		r := s.get(t.Context(), []string{"/api/orders", "/api/customers"}[i%2])
		secs, err := strconv.Atoi(r.retryAfter)
		if r.status != http.StatusServiceUnavailable || err != nil || secs < 1 || secs > int(openTimeout/time.Second) {
			t.Fatalf("request %d while open: %d, Retry-After %q, %v; want 503 with 1 to 60 s", i+1, r.status, r.retryAfter, r.err)
		}
		if r.contentType != "application/problem+json" || !strings.Contains(r.body, "circuit open") {
			t.Fatalf("request %d while open: %s %s, want problem+json saying circuit open", i+1, r.contentType, r.body)
		}
	}
	if got := d.calls.Load(); got != 3 {
		t.Errorf("the database got %d calls, want 3: none while open", got)
	}
	if breaker.StateOf(spec) != breaker.Open {
		t.Errorf("breaker %s, want open", breaker.StateOf(spec))
	}
}

// With a fallback, the open breaker answers it instead of the 503, and
// the database is not called.
func TestFallbackOverHTTP(t *testing.T) {
	d := newDB()
	spec := mustNew(t, breaker.Config{ConsecutiveFailures: 1, OpenTimeout: time.Minute,
		Fallback: &breaker.Fallback{ContentType: "application/json", Body: `{"orders":[],"stale":true}`}})
	s := start(t, func(app *troupe.App) { app.GET("/orders", d.handler).With(spec) })
	d.down.Store(true)
	if r := s.get(t.Context(), "/orders"); r.status != http.StatusInternalServerError {
		t.Fatalf("first request: %d %v, want 500", r.status, r.err)
	}
	for range 3 {
		r := s.get(t.Context(), "/orders")
		if r.status != http.StatusOK || r.contentType != "application/json" || r.body != `{"orders":[],"stale":true}` || r.retryAfter != "" {
			t.Fatalf("while open: %d %s %q Retry-After %q, %v; want the fallback", r.status, r.contentType, r.body, r.retryAfter, r.err)
		}
	}
	if got := d.calls.Load(); got != 1 {
		t.Errorf("the database got %d calls, want 1", got)
	}
}

// A request that runs out of its route's time (504) is neutral: three of
// them do not trip a breaker of one failure, and one between two failures
// does not break their streak, as a success would.
func TestExpiredIsNeutralOverHTTP(t *testing.T) {
	d := newDB()
	b := newBacks(8)
	spec := mustNew(t, breaker.Config{ConsecutiveFailures: 2, OpenTimeout: time.Minute})
	s := start(t, func(app *troupe.App) {
		app.GET("/orders", d.handler).With(b.spec(), spec).Timeout(50 * time.Millisecond)
	})
	expire := func() {
		t.Helper()
		d.hold.Store(true)
		defer d.hold.Store(false)
		if r := s.get(t.Context(), "/orders"); r.status != http.StatusGatewayTimeout {
			t.Fatalf("held request: %d %v, want 504", r.status, r.err)
		}
		<-d.entered
		<-b.ch // the breaker has judged it
	}
	fail := func(want int) {
		t.Helper()
		if r := s.get(t.Context(), "/orders"); r.status != want {
			t.Fatalf("request: %d %v, want %d", r.status, r.err, want)
		}
		<-b.ch // the outer stage's after-phase runs for a refusal too
	}
	for range 3 {
		expire()
	}
	if got := breaker.StateOf(spec); got != breaker.Closed {
		t.Fatalf("after three expired requests: %s, want closed", got)
	}
	d.down.Store(true)
	fail(http.StatusInternalServerError)
	expire()
	fail(http.StatusInternalServerError) // the second failure in a row: the expired one did not reset the streak
	if got := breaker.StateOf(spec); got != breaker.Open {
		t.Fatalf("after failure, expired, failure: %s, want open", got)
	}
	fail(http.StatusServiceUnavailable)
	if got, want := outcomes(t, spec), map[string]float64{"failure": 2, "neutral": 4}; !equal(got, want) {
		t.Errorf("outcomes = %v, want %v", got, want)
	}
}

// A request whose client goes away (over HTTP: the connection closes) is
// neutral: it neither trips a breaker of one failure nor counts as a
// success.
func TestClientGoneIsNeutralOverHTTP(t *testing.T) {
	d := newDB()
	b := newBacks(4)
	spec := mustNew(t, breaker.Config{ConsecutiveFailures: 1, OpenTimeout: time.Minute})
	s := start(t, func(app *troupe.App) { app.GET("/orders", d.handler).With(b.spec(), spec) })
	d.hold.Store(true)
	ctx, cancel := context.WithCancel(t.Context())
	gone := make(chan response, 1)
	go func() { gone <- s.get(ctx, "/orders") }()
	<-d.entered
	cancel()
	if r := <-gone; r.err == nil {
		t.Fatalf("the cancelled request got %d, want no response", r.status)
	}
	<-b.ch // the breaker has judged it
	if got := breaker.StateOf(spec); got != breaker.Closed {
		t.Fatalf("after a cancelled request: %s, want closed", got)
	}
	if got, want := outcomes(t, spec), map[string]float64{"neutral": 1}; !equal(got, want) {
		t.Errorf("outcomes = %v, want %v", got, want)
	}
}

// Under concurrent requests (run with -race), the breaker's books balance:
// every request was either refused or judged once, and the database saw
// exactly the requests let through.
func TestConcurrentRequests(t *testing.T) {
	const clients, each = 16, 25
	d := newDB()
	spec := mustNew(t, breaker.Config{ConsecutiveFailures: 5, OpenTimeout: time.Hour})
	b := newBacks(clients * each)
	s := start(t, func(app *troupe.App) { app.GET("/orders", d.handler).With(b.spec(), spec) })
	d.down.Store(true)
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[int]int{}
	for range clients {
		wg.Go(func() {
			for range each {
				r := s.get(t.Context(), "/orders")
				mu.Lock()
				counts[r.status]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for range clients * each {
		<-b.ch // every after-phase has run
	}
	if counts[http.StatusInternalServerError]+counts[http.StatusServiceUnavailable] != clients*each {
		t.Fatalf("statuses %v: want only 500 and 503", counts)
	}
	judged := outcomes(t, spec)["failure"]
	refused := metric(t, spec, "rejections_total", "reason=open") + metric(t, spec, "rejections_total", "reason=half_open")
	if int64(judged) != d.calls.Load() || int(judged) != counts[http.StatusInternalServerError] || int(judged+refused) != clients*each {
		t.Errorf("judged %v + refused %v, database calls %d, statuses %v: want judged = calls = 500s, judged + refused = %d",
			judged, refused, d.calls.Load(), counts, clients*each)
	}
	// It tripped at the 5th failure; requests already let through by then
	// still reached the database, at most one per client.
	if judged < 5 || judged > 5+clients-1 {
		t.Errorf("%v requests reached the failing database, want 5 to %d", judged, 5+clients-1)
	}
	if breaker.StateOf(spec) != breaker.Open {
		t.Errorf("breaker %s, want open", breaker.StateOf(spec))
	}
}
