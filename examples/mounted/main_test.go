package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestMountedExample(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, ln, adminLn) }()
	defer func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second): // serve's own shutdown bound
			t.Fatal("serve did not return after its context ended")
		}
	}()

	// One connection to the outer server: it reads a connection's next
	// request only once the handler of the one before has returned, by
	// which time troupe has counted it in /metrics.
	tr := &http.Transport{MaxConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	get := func(url string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(body)
	}
	base, admin := "http://"+ln.Addr().String(), "http://"+adminLn.Addr().String()

	status, header, body := get(base + "/api/items/42")
	if status != 200 || body != `{"id":"42"}` || header.Get("X-Request-ID") == "" {
		t.Errorf("GET /api/items/42 = %d %q (X-Request-ID %q), want troupe's 200 {\"id\":\"42\"} with a request id",
			status, body, header.Get("X-Request-ID"))
	}
	if status, _, body := get(base + "/"); status != 200 || !strings.HasPrefix(body, "the outer server's own page") {
		t.Errorf("GET / = %d %q, want the outer server's page", status, body)
	}
	if status, _, body := get(admin + "/readyz"); status != 200 || !strings.Contains(body, `"ready":true`) {
		t.Errorf("GET /readyz = %d %q, want 200 ready", status, body)
	}
	const want = `troupe_requests_total{method="GET",route="/api/items/{id}",status="200"} 1`
	if _, _, metrics := get(admin + "/metrics"); !strings.Contains(metrics, want) {
		t.Errorf("/metrics has no %s:\n%s", want, metrics)
	}
}
