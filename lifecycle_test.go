package troupe_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/httpin"
)

// brokenListener accepts nothing and, once broken, fails every Accept
// with an error that is not temporary, as a listener whose socket was
// closed under it does.
type brokenListener struct {
	net.Listener
	broken chan struct{}
}

var errListenerBroke = errors.New("the listener broke")

func (l *brokenListener) Accept() (net.Conn, error) {
	<-l.broken
	return nil, errListenerBroke
}

// Run ends with the serve error when the listener breaks, rather than
// serving nothing while it waits for its context.
func TestRunReturnsServeFailure(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &brokenListener{Listener: inner, broken: make(chan struct{})}
	app := troupe.New(troupe.Config{Admin: troupe.AdminConfig{Addr: "off"}}, troupe.WithLogger(nopLogger()), troupe.WithListener(ln))
	app.Handle("GET", "/x", ok("x"))
	done := make(chan error, 1)
	go func() { done <- app.Run(context.Background()) }() // a context that never ends: only the failure can end Run
	close(ln.broken)
	if err := <-done; !errors.Is(err, errListenerBroke) {
		t.Fatalf("Run = %v, want the listener's error", err)
	}
}

// A mounted app has its admin endpoints too: /readyz is true while it is
// built and false once closed, and /metrics counts its requests.
func TestMountedAppHasAdminHandler(t *testing.T) {
	app := troupe.New(troupe.Config{HTTP: httpin.Config{}}, troupe.WithLogger(nopLogger()))
	app.Handle("GET", "/x", ok("x"))
	if _, err := app.AdminHandler(); err == nil {
		t.Fatal("AdminHandler before Handler: no error")
	}
	h, err := app.Handler()
	if err != nil {
		t.Fatal(err)
	}
	adm, err := app.AdminHandler()
	if err != nil {
		t.Fatal(err)
	}
	get := func(h http.Handler, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}
	if rec := get(h, "/x"); rec.Code != http.StatusOK {
		t.Fatalf("GET /x = %d", rec.Code)
	}
	if rec := get(adm, "/readyz"); rec.Code != http.StatusOK {
		t.Errorf("/readyz of a built app = %d %s, want 200", rec.Code, rec.Body)
	}
	if rec := get(adm, "/metrics"); !strings.Contains(rec.Body.String(), `troupe_requests_total{method="GET",route="/x",status="200"} 1`) {
		t.Errorf("/metrics lacks the request:\n%s", rec.Body)
	}
	if err := app.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if rec := get(adm, "/readyz"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/readyz of a closed app = %d, want 503", rec.Code)
	}
}

// During the lame-duck window (drain_delay) /readyz is false but requests
// are still served, each closing its connection, so keep-alive clients
// leave knowing it rather than racing the close of an idle connection.
func TestShutdownHasALameDuckWindow(t *testing.T) {
	// The window must outlast the poll of /readyz and one request on
	// loopback; 2 s is far more than that on a loaded machine, under -race
	// too, and costs the test 2 s.
	cfg := troupe.Config{HTTP: httpin.Config{DrainDelay: 2 * time.Second}}
	s := start(t, cfg, func(app *troupe.App) { app.Handle("GET", "/x", ok("x")) })
	if r := s.do(t, "GET", "/x", ""); r.status != http.StatusOK || r.closed {
		t.Fatalf("before shutdown: %d, closing %v; want 200 on a kept connection", r.status, r.closed)
	}
	done := make(chan error, 1)
	go func() { done <- s.app.Shutdown(context.Background()) }()
	waitFor(t, "shutdown to begin", func() bool { return s.adminGet(t, "/readyz").status == http.StatusServiceUnavailable })
	r := s.do(t, "GET", "/x", "")
	if r.status != http.StatusOK || !r.closed {
		t.Errorf("in the window: %d, closing %v; want 200 and Connection: close", r.status, r.closed)
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if _, err := s.try(t.Context(), "GET", "/x", ""); err == nil {
		t.Error("after shutdown: a request was served")
	}
}
