package upstream

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// failingConfig is an upstream with its breaker off (it would stop the
// calls that retries are about), three attempts a request and short
// back-offs.
func failingConfig(target string) Config {
	return Config{
		Targets:  []string{target},
		Breaker:  BreakerConfig{Disabled: true},
		Retry:    RetryConfig{MaxAttempts: 3, InitialBackoff: 100 * time.Microsecond, MaxBackoff: time.Millisecond},
		Bulkhead: BulkheadConfig{MaxConcurrent: 64},
	}
}

// With the upstream failing every call, retries add at most the budget's
// 10% to its load, over 10,000 requests.
func TestRetryBudget(t *testing.T) {
	srv := newUpstreamServer(t, status(http.StatusServiceUnavailable))
	p := proxy(t, failingConfig(srv.URL), ProxyConfig{})
	const n, clients = 10000, 25
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for range n / clients {
				if a := get(t, p, "/x", 10*time.Second); a.status != http.StatusServiceUnavailable {
					t.Errorf("got %d, want the upstream's 503", a.status)
					return
				}
			}
		})
	}
	wg.Wait()
	inbound := int64(n / clients * clients)
	calls := srv.calls.Load()
	t.Logf("%d requests, %d upstream calls (%.3f×)", inbound, calls, float64(calls)/float64(inbound))
	if calls > inbound*11/10 {
		t.Errorf("%d calls for %d requests: more than 1.1×", calls, inbound)
	}
	if calls <= inbound {
		t.Errorf("%d calls for %d requests: no retry at all", calls, inbound)
	}
}

// Non-idempotent requests are never retried by default; with an
// idempotency key, or non_idempotent set, they are.
func TestRetryNonIdempotent(t *testing.T) {
	tests := []struct {
		name          string
		method        string
		key           bool
		nonIdempotent bool
		wantCalls     int64
	}{
		{name: "POST", method: http.MethodPost, wantCalls: 20},
		{name: "PATCH", method: http.MethodPatch, wantCalls: 20},
		{name: "POST with an Idempotency-Key", method: http.MethodPost, key: true, wantCalls: 23},
		{name: "POST with non_idempotent", method: http.MethodPost, nonIdempotent: true, wantCalls: 23},
		{name: "PUT", method: http.MethodPut, wantCalls: 23},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newUpstreamServer(t, status(http.StatusBadGateway))
			cfg := failingConfig(srv.URL)
			cfg.Retry.NonIdempotent = tt.nonIdempotent
			p := proxy(t, cfg, ProxyConfig{})
			for range 20 {
				ex := exchange(t.Context(), tt.method, "/x", []byte("body"), 5*time.Second)
				if tt.key {
					ex.Request.Header.Set("Idempotency-Key", "k")
				}
				serve(p, ex)
			}
			// 20 requests; retried, 3 of them (the budget's floor) get one
			// retry each before the 10% ratio allows any more.
			if got := srv.calls.Load(); got != tt.wantCalls {
				t.Errorf("%s ×20 to a failing upstream: %d calls, want %d", tt.name, got, tt.wantCalls)
			}
		})
	}
}

// A retry that succeeds answers the client; the response says how many
// attempts it took.
func TestRetrySucceeds(t *testing.T) {
	var n atomic.Int64
	srv := newUpstreamServer(t, func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("second time lucky"))
	})
	u := start(t, Config{Targets: []string{srv.URL}})
	resp, err := u.Do(t.Context(), &Request{Method: http.MethodGet, Path: "/x"})
	if err != nil || resp.Status != http.StatusOK || string(resp.Body) != "second time lucky" || resp.Attempts != 2 {
		t.Fatalf("Do = %+v, %v; want 200 after 2 attempts", resp, err)
	}
}

// No retry when the deadline leaves too little time for the back-off and
// an attempt.
func TestRetryNotPastDeadline(t *testing.T) {
	srv := newUpstreamServer(t, status(http.StatusServiceUnavailable))
	cfg := failingConfig(srv.URL)
	cfg.Retry.InitialBackoff, cfg.Retry.MaxBackoff, cfg.Retry.MinTimeLeft = time.Second, time.Second, 50*time.Millisecond
	u := start(t, cfg)
	u.jitter = func() float64 { return 0.99 } // a back-off of 990 ms
	ex := exchange(t.Context(), http.MethodGet, "/x", nil, 500*time.Millisecond)
	resp, err := u.Do(ex.Context(), &Request{Method: http.MethodGet, Path: "/x"})
	if err != nil || resp.Attempts != 1 || srv.calls.Load() != 1 {
		t.Errorf("Do = %+v, %v with %d calls; want the 503 after 1 attempt", resp, err, srv.calls.Load())
	}
}

// The back-off grows exponentially up to its cap, scaled by the jitter.
func TestBackoff(t *testing.T) {
	r := RetryConfig{InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Multiplier: 2}
	tests := []struct {
		n      int
		jitter float64
		want   time.Duration
	}{
		{n: 1, jitter: 1, want: 10 * time.Millisecond},
		{n: 2, jitter: 1, want: 20 * time.Millisecond},
		{n: 3, jitter: 1, want: 40 * time.Millisecond},
		{n: 4, jitter: 1, want: 50 * time.Millisecond},
		{n: 40, jitter: 1, want: 50 * time.Millisecond},
		{n: 2, jitter: 0.5, want: 10 * time.Millisecond},
		{n: 2, jitter: 0, want: 0},
	}
	for _, tt := range tests {
		if got := r.backoff(tt.n, tt.jitter); got != tt.want {
			t.Errorf("backoff(%d, %v) = %v, want %v", tt.n, tt.jitter, got, tt.want)
		}
	}
}
