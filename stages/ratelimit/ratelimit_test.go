package ratelimit_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/ratelimit"
	"github.com/troupe-go/troupe/stagetest"
)

// step is one request of a scripted scenario: advance the clock, then
// send a request and expect its status and remaining quota.
type step struct {
	advance       time.Duration
	wantStatus    int
	wantRemaining int
}

func TestAllowance(t *testing.T) {
	tests := []struct {
		name  string
		cfg   ratelimit.Config
		steps []step
	}{
		{
			name: "exactly the burst at once",
			cfg:  ratelimit.Config{Rate: 1, Burst: 3},
			steps: []step{
				{0, 200, 2}, {0, 200, 1}, {0, 200, 0}, {0, 429, 0}, {0, 429, 0},
			},
		},
		{
			name: "one token per interval",
			cfg:  ratelimit.Config{Rate: 2, Burst: 2},
			steps: []step{
				{0, 200, 1}, {0, 200, 0}, {0, 429, 0},
				{499 * time.Millisecond, 429, 0},
				{time.Millisecond, 200, 0}, {0, 429, 0},
				{time.Second, 200, 1}, {0, 200, 0}, {0, 429, 0},
			},
		},
		{
			name: "refused requests take nothing",
			cfg:  ratelimit.Config{Rate: 1, Burst: 1},
			steps: []step{
				{0, 200, 0}, {0, 429, 0}, {0, 429, 0}, {0, 429, 0}, {time.Second, 200, 0},
			},
		},
		{
			name: "idle time refills no further than the burst",
			cfg:  ratelimit.Config{Rate: 10, Burst: 2},
			steps: []step{
				{0, 200, 1}, {time.Hour, 200, 1}, {0, 200, 0}, {0, 429, 0},
			},
		},
		{
			name: "limit per period, burst defaults to limit",
			cfg:  ratelimit.Config{Limit: 5, Period: time.Minute},
			steps: []step{
				{0, 200, 4}, {0, 200, 3}, {0, 200, 2}, {0, 200, 1}, {0, 200, 0}, {0, 429, 0},
				{11 * time.Second, 429, 0}, {time.Second, 200, 0},
			},
		},
		{
			name: "fractional rate, burst defaults to 1",
			cfg:  ratelimit.Config{Rate: 0.5},
			steps: []step{
				{0, 200, 0}, {0, 429, 0}, {1999 * time.Millisecond, 429, 0}, {time.Millisecond, 200, 0},
			},
		},
		{
			name: "rate above one, burst defaults to the rate rounded up",
			cfg:  ratelimit.Config{Rate: 2.5},
			steps: []step{
				{0, 200, 2}, {0, 200, 1}, {0, 200, 0}, {0, 429, 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			st, _ := instance(t, tt.cfg, c)
			for i, s := range tt.steps {
				c.advance(s.advance)
				out := run(t, st, get("192.0.2.1:1234"))
				remaining, _ := strconv.Atoi(out.Header.Get("RateLimit-Remaining"))
				if out.Status != s.wantStatus || remaining != s.wantRemaining {
					t.Fatalf("request %d: status %d, remaining %d; want %d, %d", i+1, out.Status, remaining, s.wantStatus, s.wantRemaining)
				}
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	c := newClock()
	st, _ := instance(t, ratelimit.Config{Rate: 1, Burst: 10}, c)
	type want struct {
		status                      int
		limit, remaining, reset, ra string
	}
	check := func(t *testing.T, out stagetest.Outcome, w want) {
		t.Helper()
		got := want{out.Status, out.Header.Get("RateLimit-Limit"), out.Header.Get("RateLimit-Remaining"), out.Header.Get("RateLimit-Reset"), out.Header.Get("Retry-After")}
		if got != w {
			t.Errorf("response = %+v, want %+v", got, w)
		}
	}
	check(t, run(t, st, get("192.0.2.1:1")), want{200, "10", "9", "1", ""})
	for range 8 {
		run(t, st, get("192.0.2.1:1"))
	}
	check(t, run(t, st, get("192.0.2.1:1")), want{200, "10", "0", "10", ""})

	refused := run(t, st, get("192.0.2.1:1"))
	check(t, refused, want{429, "10", "0", "10", "1"})
	if ct := refused.Header.Get("Content-Type"); ct != actors.ProblemContentType || !strings.Contains(string(refused.Body), `"status":429`) {
		t.Errorf("429 body = %s %s, want a problem document", ct, refused.Body)
	}

	// 2.5 s on, 2.5 tokens are back: one is taken, 1.5 left (1 whole),
	// and the bucket is full again 8.5 s later.
	c.advance(2500 * time.Millisecond)
	check(t, run(t, st, get("192.0.2.1:1")), want{200, "10", "1", "9", ""})

	// A failure further down keeps the headers.
	failing := stagetest.WithHandler(func(*actors.Exchange) error { return actors.NewError(http.StatusBadGateway, "upstream") })
	check(t, run(t, st, get("192.0.2.1:1"), failing), want{502, "10", "0", "10", ""})
}

func TestRetryAfterIsTheWaitForOneToken(t *testing.T) {
	tests := []struct {
		name string
		cfg  ratelimit.Config
		want string
	}{
		{name: "one a second", cfg: ratelimit.Config{Rate: 1, Burst: 1}, want: "1"},
		{name: "one a minute", cfg: ratelimit.Config{Limit: 1, Period: time.Minute}, want: "60"},
		{name: "many a second rounds up to 1", cfg: ratelimit.Config{Rate: 100, Burst: 1}, want: "1"},
		{name: "one in 1000 s", cfg: ratelimit.Config{Rate: 0.001, Burst: 1}, want: "1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _ := instance(t, tt.cfg, newClock())
			run(t, st, get("192.0.2.1:1"))
			out := run(t, st, get("192.0.2.1:1"))
			if out.Status != http.StatusTooManyRequests || out.Header.Get("Retry-After") != tt.want {
				t.Errorf("refused: %d, Retry-After %q; want 429, %q", out.Status, out.Header.Get("Retry-After"), tt.want)
			}
		})
	}
}

func TestPreflightTakesNoToken(t *testing.T) {
	st, _ := instance(t, ratelimit.Config{Rate: 1, Burst: 1}, newClock())
	preflight := stagetest.WithSetup(func(ex *actors.Exchange) { ex.SetPreflight("GET, OPTIONS") })
	for range 3 {
		if out := run(t, st, get("192.0.2.1:1"), preflight); out.Status != 200 || out.Header.Get("RateLimit-Remaining") != "" {
			t.Fatalf("preflight: %d, RateLimit-Remaining %q; want 200 untouched", out.Status, out.Header.Get("RateLimit-Remaining"))
		}
	}
	if out := run(t, st, get("192.0.2.1:1")); out.Status != 200 {
		t.Errorf("first real request after preflights = %d, want 200", out.Status)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		give ratelimit.Config
		want string
	}{
		{name: "no rate", give: ratelimit.Config{Burst: 3}, want: "rate (or limit and period) is required"},
		{name: "both rate and limit", give: ratelimit.Config{Rate: 1, Limit: 3}, want: "not both"},
		{name: "negative burst", give: ratelimit.Config{Rate: 1, Burst: -1}, want: "must not be negative"},
		{name: "rate too high", give: ratelimit.Config{Rate: 2e9}, want: "above one request per nanosecond"},
		{name: "limit too high", give: ratelimit.Config{Limit: 2000, Period: time.Microsecond}, want: "above one request per nanosecond"},
		{name: "burst too big to refill", give: ratelimit.Config{Rate: 1e-9, Burst: 1 << 40}, want: "over a century"},
		{name: "unknown key", give: ratelimit.Config{Rate: 1, Key: "cookie"}, want: `key "cookie"`},
		{name: "bad header name", give: ratelimit.Config{Rate: 1, Key: "header:X Key"}, want: "not a header name"},
		{name: "empty header name", give: ratelimit.Config{Rate: 1, Key: "header:"}, want: "not a header name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ratelimit.New("rl", tt.give)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%+v) = %v, want an error containing %q", tt.give, err, tt.want)
			}
		})
	}
}

func TestSpec(t *testing.T) {
	spec, err := ratelimit.New("rl", ratelimit.Config{Rate: 1, Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	if spec.Name != "rl" || spec.Kind != actors.Stateful || spec.Priority != actors.Auth || spec.Partitions != 3 || spec.PartitionKey == nil {
		t.Errorf("spec = %+v, want stateful rl of priority auth in 3 partitions with a key", spec)
	}
	if a, b := spec.New(), spec.New(); a == b {
		t.Error("New returned the same instance twice; each actor needs its own buckets")
	}
}
