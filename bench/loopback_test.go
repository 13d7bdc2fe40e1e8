package bench

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// server is a peer that serves on loopback: what the batch and proxy
// tests and benchmarks start.
type server interface {
	Start(addr string) error
	Addr() net.Addr
	Shutdown(ctx context.Context) error
}

// startServer starts s on 127.0.0.1 and shuts it down when tb ends; it
// returns its base URL.
func startServer(tb testing.TB, s server) string {
	tb.Helper()
	if err := s.Start(""); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			tb.Errorf("shutdown: %v", err)
		}
	})
	return "http://" + s.Addr().String()
}

// newClient returns an HTTP client keeping up to conns connections per
// host alive, whose idle connections are closed when tb ends.
func newClient(tb testing.TB, conns int) *http.Client {
	tb.Helper()
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// roundTrip sends req with c and returns the answer, read in full.
func roundTrip(c *http.Client, req *http.Request) (int, http.Header, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}
