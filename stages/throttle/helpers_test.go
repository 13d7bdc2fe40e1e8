package throttle_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/stages/throttle"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// server is a running app on loopback with one route, /work, behind a
// throttle, and a client for it.
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
		tr.CloseIdleConnections() // first: Shutdown waits 5 s for a dialled, unused connection
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return &server{url: "http://" + app.Addr().String(), client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// response is what a request got back, and how long it took.
type response struct {
	status int
	retry  string
	took   time.Duration
	err    error
}

func (s *server) get(path string) response {
	begin := time.Now()
	res, err := s.client.Get(s.url + path)
	if err != nil {
		return response{err: err}
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return response{status: res.StatusCode, retry: res.Header.Get("Retry-After"), took: time.Since(begin)}
}

// gets sends n requests at once and returns a channel of their responses.
func (s *server) gets(n int, path string) <-chan response {
	out := make(chan response, n) // room for all: senders never wait on the test
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { out <- s.get(path) })
	}
	go func() { wg.Wait(); close(out) }()
	return out
}

// blocker is a blocking handler that holds each request until released,
// and measures how many it holds at once.
type blocker struct {
	entered chan struct{} // one per request that reached the handler
	release chan struct{} // closed to let them all go
	mu      sync.Mutex
	now     int
	peak    int
}

// newBlocker returns a blocker with room to note n arrivals without
// waiting on the test.
func newBlocker(n int) *blocker {
	return &blocker{entered: make(chan struct{}, n), release: make(chan struct{})}
}

func (b *blocker) spec() *actors.Spec {
	return &actors.Spec{Name: "GET /work", Kind: actors.Stateless, Priority: actors.Terminating,
		Stage: actors.StageFunc(func(ex *actors.Exchange) error {
			b.mu.Lock()
			b.now++
			b.peak = max(b.peak, b.now)
			b.mu.Unlock()
			defer func() {
				b.mu.Lock()
				b.now--
				b.mu.Unlock()
			}()
			b.entered <- struct{}{}
			if ex.Request.URL.Query().Has("fast") {
				ex.Respond(http.StatusOK, "text/plain", []byte("ok"))
				return nil
			}
			select {
			case <-b.release:
				ex.Respond(http.StatusOK, "text/plain", []byte("ok"))
				return nil
			case <-ex.Context().Done():
				return ex.Context().Err()
			}
		})}
}

func (b *blocker) holding() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.now
}

// throttled declares /work: the throttle, then the handler.
func throttled(t *testing.T, cfg throttle.Config, handler *actors.Spec, onWait func()) func(app *troupe.App) *troupe.Route {
	t.Helper()
	spec, err := throttle.New("throttle", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if onWait != nil {
		throttle.OnWait(spec, onWait)
	}
	return func(app *troupe.App) *troupe.Route {
		return app.Handle("GET", "/work", handler).With(spec)
	}
}

func httptestGet() *http.Request { return httptest.NewRequest(http.MethodGet, "/work", nil) }
