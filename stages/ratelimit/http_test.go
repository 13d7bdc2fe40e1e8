package ratelimit_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/stages/ratelimit"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start runs an app declared by declare on 127.0.0.1 (no admin listener)
// and returns its base URL and a client for it; both are shut down when
// the test ends.
func start(t *testing.T, declare func(app *troupe.App)) (string, *http.Client) {
	t.Helper()
	app := troupe.New(troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0"}, Admin: troupe.AdminConfig{Addr: "off"}}, troupe.WithLogger(zap.NewNop()))
	declare(app)
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(func() {
		// Close the client's idle connections first: one it dialled but
		// never used is new to the server, and Shutdown would wait 5 s for it.
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return "http://" + app.Addr().String(), &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// 64 clients hammer one route as one key: exactly the burst gets through,
// each with its own remaining count, and every other request gets 429 with
// Retry-After. The rate is so slow that nothing refills during the test.
func TestBurstOverHTTP(t *testing.T) {
	const (
		burst    = 10
		clients  = 64
		requests = 8 // per client
	)
	rl, err := ratelimit.New("rate-limit", ratelimit.Config{Rate: 0.001, Burst: burst})
	if err != nil {
		t.Fatal(err)
	}
	url, client := start(t, func(app *troupe.App) {
		app.Use(rl)
		app.Handle("GET", "/x", troupe.Handler("GET /x", func(ex *actors.Exchange) error {
			ex.Respond(http.StatusOK, "text/plain", []byte("ok"))
			return nil
		}))
	})

	type result struct {
		status              int
		remaining, retry    string
		limit, reset, fatal string
	}
	results := make(chan result, clients*requests)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for range requests {
				res, err := client.Get(url + "/x")
				if err != nil {
					results <- result{fatal: err.Error()}
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				results <- result{status: res.StatusCode, remaining: res.Header.Get("RateLimit-Remaining"), retry: res.Header.Get("Retry-After"),
					limit: res.Header.Get("RateLimit-Limit"), reset: res.Header.Get("RateLimit-Reset")}
			}
		})
	}
	wg.Wait()
	close(results)

	var remaining []int
	refused := 0
	for r := range results {
		switch {
		case r.fatal != "":
			t.Fatal(r.fatal)
		case r.limit != strconv.Itoa(burst) || r.reset == "":
			t.Errorf("%d: RateLimit-Limit %q, RateLimit-Reset %q; want %d and a value", r.status, r.limit, r.reset, burst)
		case r.status == http.StatusOK:
			n, _ := strconv.Atoi(r.remaining)
			remaining = append(remaining, n)
		case r.status == http.StatusTooManyRequests:
			refused++
			if s, err := strconv.Atoi(r.retry); err != nil || s < 1 || s > 1000 {
				t.Errorf("429 with Retry-After %q, want 1 to 1000 seconds", r.retry)
			}
		default:
			t.Errorf("status %d, want 200 or 429", r.status)
		}
	}
	slices.Sort(remaining)
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(remaining, want) {
		t.Errorf("%d requests got 200, with remaining %v; want %d, with %v", len(remaining), remaining, burst, want)
	}
	if want := clients*requests - burst; refused != want {
		t.Errorf("%d requests got 429, want %d", refused, want)
	}
}
