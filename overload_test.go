package troupe_test

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/overload"
)

// metric returns the value of the /metrics line that starts with name{…}
// or name, or "" if there is none.
func metric(t *testing.T, s *server, series string) string {
	t.Helper()
	for line := range strings.Lines(s.adminGet(t, "/metrics").body) {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

// With the adaptive limit held at one request, a request past what it
// admits and queues is refused at once: 503, with a Retry-After and a
// problem document naming the reason, and counted on /metrics by reason
// and class; the request it admitted is answered once it lets go.
func TestAdaptiveLimitRefusesWhatItCannotServe(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	cfg := troupe.Config{}
	cfg.HTTP.Overload = overload.Config{MinLimit: 1, MaxLimit: 1, InitialLimit: 1, MaxQueue: 1}
	held := make(chan struct{}, 1)
	s := start(t, cfg, func(app *troupe.App) {
		app.GET("/hold", func(ex *actors.Exchange) error {
			held <- struct{}{}
			<-release
			return ex.JSON(http.StatusOK, "done")
		})
	})
	first := make(chan response, 1)
	go func() { first <- s.do(t, "GET", "/hold", "") }()
	<-held // the one slot is taken

	var refused []response
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			r, err := s.try(t.Context(), "GET", "/hold", "")
			if err != nil {
				t.Error(err)
				return
			}
			if r.status == http.StatusServiceUnavailable {
				mu.Lock()
				refused = append(refused, r)
				mu.Unlock()
			} else {
				<-held // admitted later: it held the slot in turn
			}
		})
	}
	// At most one request fits in the queue: at least seven are refused,
	// which ends their calls while the slot is still held.
	waitFor(t, "seven refusals", func() bool { mu.Lock(); defer mu.Unlock(); return len(refused) >= 7 })
	once.Do(func() { close(release) })
	wg.Wait()
	if r := <-first; r.status != http.StatusOK {
		t.Errorf("the admitted request: status %d, want 200", r.status)
	}
	for _, r := range refused {
		if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 {
			t.Errorf("refusal: Retry-After %q, want whole seconds ≥ 1", r.header.Get("Retry-After"))
		}
		if r.header.Get("Content-Type") != actors.ProblemContentType || !strings.Contains(r.body, "overloaded") {
			t.Errorf("refusal: %s %s, want a problem document saying the server is overloaded", r.header.Get("Content-Type"), r.body)
		}
	}
	if got := metric(t, s, `troupe_overload_rejected_total{class="default",limiter="ingress",reason="limit"}`); got == "" || got == "0" {
		t.Errorf("troupe_overload_rejected_total for limit/default = %q, want the refusals counted", got)
	}
	if got := metric(t, s, `troupe_overload_limit{limiter="ingress"}`); got != "1" {
		t.Errorf("troupe_overload_limit = %q, want 1", got)
	}
}

// A route's criticality, its own or its group's, reaches the limiter.
func TestCriticalityReachesTheLimiter(t *testing.T) {
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		ops := app.Group("/ops").Criticality(overload.Critical)
		ops.GET("/health", func(ex *actors.Exchange) error { return ex.JSON(http.StatusOK, "ok") })
		ops.GET("/report", func(ex *actors.Exchange) error { return ex.JSON(http.StatusOK, "ok") }).Criticality(overload.Sheddable)
		app.GET("/plain", func(ex *actors.Exchange) error { return ex.JSON(http.StatusOK, "ok") })
	})
	for path, n := range map[string]int{"/ops/health": 3, "/ops/report": 2, "/plain": 1} {
		for range n {
			if r := s.do(t, "GET", path, ""); r.status != http.StatusOK {
				t.Fatalf("%s: status %d", path, r.status)
			}
		}
	}
	for class, want := range map[string]string{"critical": "3", "sheddable": "2", "default": "1"} {
		if got := metric(t, s, `troupe_overload_admitted_total{class="`+class+`",limiter="ingress"}`); got != want {
			t.Errorf("admitted %s = %q, want %s", class, got, want)
		}
	}
}

// With the adaptive limit off, max_in_flight alone bounds admission, and
// /metrics has no limiter.
func TestStaticLimitHasNoAdaptiveLimiter(t *testing.T) {
	cfg := troupe.Config{}
	cfg.HTTP.StaticLimit = true
	s := start(t, cfg, func(app *troupe.App) {
		app.GET("/x", func(ex *actors.Exchange) error { return ex.JSON(http.StatusOK, "ok") })
	})
	if r := s.do(t, "GET", "/x", ""); r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	if strings.Contains(s.adminGet(t, "/metrics").body, "troupe_overload_") {
		t.Error("/metrics reports an adaptive limiter that is off")
	}
}

// The criticality header sets a request's class from a trusted peer; from
// anyone else only "sheddable" is honoured, and the route's class stands
// otherwise.
func TestCriticalityHeader(t *testing.T) {
	for _, tt := range []struct {
		name    string
		trusted string
		header  string
		want    string
	}{
		{"trusted peer asks for critical", "127.0.0.0/8", "critical", "critical"},
		{"untrusted peer asks for critical", "10.0.0.0/8", "critical", "default"},
		{"untrusted peer asks for sheddable", "10.0.0.0/8", "Sheddable", "sheddable"},
		{"unknown class", "127.0.0.0/8", "vip", "default"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := troupe.Config{}
			cfg.HTTP.CriticalityHeader = "X-Criticality"
			cfg.HTTP.CriticalityTrusted = []netip.Prefix{netip.MustParsePrefix(tt.trusted)}
			s := start(t, cfg, func(app *troupe.App) {
				app.GET("/x", func(ex *actors.Exchange) error { return ex.JSON(http.StatusOK, "ok") })
			})
			if r := s.do(t, "GET", "/x", "", "X-Criticality", tt.header); r.status != http.StatusOK {
				t.Fatalf("status %d", r.status)
			}
			if got := metric(t, s, `troupe_overload_admitted_total{class="`+tt.want+`",limiter="ingress"}`); got != "1" {
				t.Errorf("admitted as %s: %q, want 1", tt.want, got)
			}
		})
	}
}

// A stage's concurrency cap is an overload limiter of its own on /metrics,
// labelled limiter="stage:NAME".
func TestStageLimiterOnMetrics(t *testing.T) {
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		h := troupe.Handler("capped", func(ex *actors.Exchange) error { return ex.JSON(http.StatusOK, "ok") })
		h.Concurrency = 3
		app.Handle("GET", "/x", h)
	})
	if r := s.do(t, "GET", "/x", ""); r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	if got := metric(t, s, `troupe_overload_limit{limiter="stage:capped"}`); got != "3" {
		t.Errorf("the stage's limit on /metrics = %q, want 3", got)
	}
	if got := metric(t, s, `troupe_overload_admitted_total{class="default",limiter="stage:capped"}`); got != "1" {
		t.Errorf("the stage's admissions = %q, want 1", got)
	}
}
