package httpin_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"go.uber.org/zap"
)

// startApp serves an app with GET /hello and POST /echo on loopback, its
// listener set up by cfg, until the test's cleanup. mw wraps its handler,
// inside the Server's guards.
func startApp(t testing.TB, cfg httpin.Config, log *zap.Logger, mw ...func(http.Handler) http.Handler) (*troupe.App, string) {
	t.Helper()
	return startAppWith(t, cfg, log, helloEcho, mw...)
}

// helloEcho declares GET /hello, answering "hello", and POST /echo,
// answering the request's body.
func helloEcho(app *troupe.App) {
	app.GET("/hello", func(ex *actors.Exchange) error {
		ex.Response.Status, ex.Response.Body = http.StatusOK, []byte("hello")
		return nil
	})
	app.POST("/echo", func(ex *actors.Exchange) error {
		ex.Response.Status, ex.Response.Body = http.StatusOK, ex.Body
		return nil
	})
}

// startAppWith is startApp with the routes declare declares.
func startAppWith(t testing.TB, cfg httpin.Config, log *zap.Logger, declare func(*troupe.App), mw ...func(http.Handler) http.Handler) (*troupe.App, string) {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	if log == nil {
		log = zap.NewNop()
	}
	app := troupe.New(troupe.Config{HTTP: cfg, Admin: troupe.AdminConfig{Addr: "off"}},
		troupe.WithLogger(log), troupe.WithMiddleware(mw...))
	declare(app)
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = app.Shutdown(ctx) // a no-op when the test shut the app down itself
	})
	return app, app.Addr().String()
}

// dial opens a raw connection to addr.
func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
