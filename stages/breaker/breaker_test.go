package breaker_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/troupe-go/troupe/stages/breaker"
)

// The breaker trips on the third failure in a row, refuses at once while
// open with a Retry-After that counts down the time left, turns half-open
// strictly after OpenTimeout, and one successful probe closes it. The
// clock is the synctest bubble's: gobreaker's time.Now reads it.
func TestTripsCountsDownAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDB()
		m := mount(t, mustNew(t, breaker.Config{ConsecutiveFailures: 3, OpenTimeout: 10 * time.Second}), d)
		d.down.Store(true)
		m.want(http.StatusInternalServerError, "")
		m.want(http.StatusInternalServerError, "")
		m.state(breaker.Closed)
		m.want(http.StatusInternalServerError, "") // the third failure in a row trips it
		m.state(breaker.Open)

		rec := m.want(http.StatusServiceUnavailable, "10")
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" || !strings.Contains(rec.Body, "circuit open") {
			t.Errorf("refusal: %s %s; want a problem+json saying circuit open", ct, rec.Body)
		}
		time.Sleep(4 * time.Second)
		m.want(http.StatusServiceUnavailable, "6")
		time.Sleep(5*time.Second + 500*time.Millisecond)
		m.want(http.StatusServiceUnavailable, "1") // 0.5 s left, rounded up
		time.Sleep(500 * time.Millisecond)
		m.want(http.StatusServiceUnavailable, "1") // gobreaker turns half-open strictly after OpenTimeout
		if got := d.calls.Load(); got != 3 {
			t.Fatalf("the database got %d calls while open, want 3 (those before it tripped)", got)
		}

		time.Sleep(time.Nanosecond)
		d.down.Store(false)
		m.state(breaker.HalfOpen)
		m.want(http.StatusOK, "") // the probe succeeds: closed
		m.state(breaker.Closed)
		m.want(http.StatusOK, "")

		for _, tr := range []struct{ from, to string }{{"closed", "open"}, {"open", "half_open"}, {"half_open", "closed"}} {
			if got := metric(t, m.spec, "transitions_total", "from="+tr.from, "to="+tr.to); got != 1 {
				t.Errorf("transitions %s→%s = %v, want 1", tr.from, tr.to, got)
			}
		}
		if got := metric(t, m.spec, "rejections_total", "reason=open"); got != 4 {
			t.Errorf("rejections (open) = %v, want 4", got)
		}
		if got, want := outcomes(t, m.spec), map[string]float64{"failure": 3, "success": 2}; !equal(got, want) {
			t.Errorf("outcomes = %v, want %v", got, want)
		}
	})
}

// A failed probe opens the breaker again, for a whole OpenTimeout.
func TestFailedProbeReopens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDB()
		m := mount(t, mustNew(t, breaker.Config{ConsecutiveFailures: 1, OpenTimeout: 10 * time.Second}), d)
		d.down.Store(true)
		m.want(http.StatusInternalServerError, "")
		m.state(breaker.Open)
		time.Sleep(10*time.Second + time.Nanosecond)
		m.want(http.StatusInternalServerError, "") // the probe fails
		m.state(breaker.Open)
		m.want(http.StatusServiceUnavailable, "10")
		if got := metric(t, m.spec, "state"); got != 2 {
			t.Errorf("troupe_breaker_state = %v, want 2 (open)", got)
		}
	})
}

// Half-open, the breaker lets HalfOpenRequests probes through at once and
// refuses the others with Retry-After 1; the probes' successes close it.
func TestHalfOpenProbesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const probes, clients = 2, 10
		d := newDB()
		m := mount(t, mustNew(t, breaker.Config{ConsecutiveFailures: 1, OpenTimeout: time.Second, HalfOpenRequests: probes}), d)
		d.down.Store(true)
		m.want(http.StatusInternalServerError, "")
		time.Sleep(time.Second + time.Nanosecond)
		d.down.Store(false)
		d.hold.Store(true)

		codes := make(chan int, clients)
		for range clients {
			go func() { codes <- m.get(context.Background()).Code }()
		}
		synctest.Wait() // every request is in the handler or answered
		if got := len(d.entered); got != probes {
			t.Fatalf("%d requests reached the database while half-open, want %d", got, probes)
		}
		for range clients - probes {
			if c := <-codes; c != http.StatusServiceUnavailable {
				t.Errorf("a request past the probes got %d, want 503", c)
			}
		}
		close(d.release)
		for range probes {
			if c := <-codes; c != http.StatusOK {
				t.Errorf("a probe got %d, want 200", c)
			}
		}
		m.state(breaker.Closed)
		if got := metric(t, m.spec, "rejections_total", "reason=half_open"); got != clients-probes {
			t.Errorf("rejections (half_open) = %v, want %d", got, clients-probes)
		}
	})
}

// A probe whose client goes away is neutral: it neither closes nor opens
// the breaker, and frees its probe slot for the next request.
func TestCancelledProbeFreesItsSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDB()
		m := mount(t, mustNew(t, breaker.Config{ConsecutiveFailures: 1, OpenTimeout: time.Second}), d)
		d.down.Store(true)
		m.want(http.StatusInternalServerError, "")
		time.Sleep(time.Second + time.Nanosecond)
		d.down.Store(false)
		d.hold.Store(true)

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { m.get(ctx); close(done) }()
		<-d.entered
		m.want(http.StatusServiceUnavailable, "1") // the only probe slot is taken
		cancel()
		<-done
		synctest.Wait() // the handler has returned and the after-phase has run
		m.state(breaker.HalfOpen)

		d.hold.Store(false)
		m.want(http.StatusOK, "") // the slot is free: this probe closes it
		m.state(breaker.Closed)
		if got, want := outcomes(t, m.spec), map[string]float64{"failure": 1, "neutral": 1, "success": 1}; !equal(got, want) {
			t.Errorf("outcomes = %v, want %v", got, want)
		}
	})
}

func equal(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
