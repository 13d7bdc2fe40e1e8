package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/httpin"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestProxyExample(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{}
	defer serveBackend(ln, b)()
	app, err := newApp(troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0"}, Admin: troupe.AdminConfig{Addr: "off"}}, "http://"+ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	defer app.Shutdown(context.Background())
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	do := func(method, url string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, url, nil)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}
	proxied := "http://" + app.Addr().String() + "/api/hello"

	// Proxied: the upstream's answer, the /api prefix stripped.
	if res, body := do("GET", proxied); res.StatusCode != 200 || body != "hello from the upstream: GET /hello\n" {
		t.Fatalf("GET /api/hello = %d %q, want 200 and the upstream's greeting", res.StatusCode, body)
	}

	// The upstream breaks: its failures are answered as they are, and the
	// breaker counts them.
	do("POST", "http://"+ln.Addr().String()+"/break")
	for i := range 3 {
		if res, body := do("GET", proxied); res.StatusCode != 500 {
			t.Fatalf("failure %d: GET /api/hello = %d %q, want the upstream's 500", i+1, res.StatusCode, body)
		}
	}

	// The third failure in a row opened the breaker: 503 with Retry-After
	// (at most the 10s it stays open), and the upstream is not called.
	served := b.served.Load()
	res, body := do("GET", proxied)
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("with the breaker open: GET /api/hello = %d %q, want 503", res.StatusCode, body)
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || s > 10 {
		t.Errorf("Retry-After = %q, want 1 to 10 seconds", res.Header.Get("Retry-After"))
	}
	if got := b.served.Load(); got != served {
		t.Errorf("the upstream answered %d more requests with the breaker open, want none", got-served)
	}
}
