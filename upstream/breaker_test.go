package upstream

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// script is a breaker test under testing/synctest: an upstream whose
// transport answers with the status in next (0: a connection error), or,
// when hold is set, waits for a status on release or for the request's
// end. The upstream, its actor system and so its gobreaker are created
// inside the bubble, so their clocks are the bubble's fake one: gobreaker
// takes no clock of its own.
type script struct {
	t       *testing.T
	p       *Proxy
	ft      *fakeTransport
	mu      sync.Mutex
	next    int
	hold    bool
	release chan int
}

func newScript(t *testing.T, b BreakerConfig, opts ...Option) *script {
	s := &script{t: t, release: make(chan int)}
	s.ft = &fakeTransport{respond: func(r *http.Request) (int, error) {
		s.mu.Lock()
		code, hold := s.next, s.hold
		s.mu.Unlock()
		if hold {
			select {
			case code = <-s.release:
			case <-r.Context().Done():
				return 0, r.Context().Err()
			}
		}
		if code == 0 {
			return 0, errors.New("connection refused")
		}
		return code, nil
	}}
	cfg := Config{Targets: []string{"http://upstream.test"}, Breaker: b, Retry: RetryConfig{MaxAttempts: 1}}
	s.p = proxy(t, cfg, ProxyConfig{}, append([]Option{WithTransport(s.ft)}, opts...)...)
	return s
}

// answer sets what the upstream answers from now on.
func (s *script) answer(code int, hold bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next, s.hold = code, hold
}

// get makes one request and checks its status (and Retry-After, if want
// one).
func (s *script) get(wantStatus int, wantRetryAfter string) {
	s.t.Helper()
	a := get(s.t, s.p, "/x", time.Hour)
	if a.status != wantStatus || a.header.Get("Retry-After") != wantRetryAfter {
		s.t.Fatalf("GET = %d, Retry-After %q; want %d, %q", a.status, a.header.Get("Retry-After"), wantStatus, wantRetryAfter)
	}
}

// probe starts a request in the background, under ctx, and returns a
// channel with its status.
func (s *script) probe(ctx context.Context) <-chan int {
	done := make(chan int, 1)
	go func() {
		done <- serve(s.p, exchange(ctx, http.MethodGet, "/x", nil, time.Hour)).status
	}()
	synctest.Wait() // it is in the transport, or answered
	return done
}

func (s *script) calls(want int64) {
	s.t.Helper()
	if got := s.ft.calls.Load(); got != want {
		s.t.Fatalf("the upstream got %d calls, want %d", got, want)
	}
}

func (s *script) state(want State) {
	s.t.Helper()
	if got := s.p.up.Status().State; got != want {
		s.t.Fatalf("breaker %s, want %s", got, want)
	}
}

// The whole cycle: trip, stay open (Retry-After counting down), half-open
// with a bounded number of probes, close on their successes.
func TestBreakerOpensProbesAndCloses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScript(t, BreakerConfig{ConsecutiveFailures: 3, OpenTimeout: 10 * time.Second, HalfOpenRequests: 2})
		s.answer(http.StatusServiceUnavailable, false)
		s.get(503, "")
		s.get(503, "")
		s.state(Closed)
		s.get(503, "") // the third failure in a row trips it
		s.state(Open)
		s.get(503, "10") // the breaker's own 503 now
		s.calls(3)
		time.Sleep(4 * time.Second)
		s.get(503, "6")
		time.Sleep(6 * time.Second)
		s.get(503, "1") // gobreaker turns half-open strictly after OpenTimeout
		s.calls(3)

		time.Sleep(time.Nanosecond) // half-open: two probes may go
		s.answer(0, true)
		p1, p2 := s.probe(context.Background()), s.probe(context.Background())
		s.get(503, "1") // a third is refused: every probe is out
		s.calls(5)
		s.release <- http.StatusOK
		if got := <-p1; got != http.StatusOK {
			t.Fatalf("probe 1 = %d", got)
		}
		s.state(HalfOpen) // one success of two
		s.release <- http.StatusOK
		<-p2
		s.state(Closed)
		s.answer(http.StatusOK, false)
		s.get(200, "")
		s.calls(6)
	})
}

// A failed probe opens the breaker again, for a whole OpenTimeout.
func TestBreakerProbeFailureReopens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScript(t, BreakerConfig{ConsecutiveFailures: 1, OpenTimeout: 10 * time.Second})
		s.answer(0, false) // connection errors
		s.get(502, "")
		s.state(Open)
		time.Sleep(10*time.Second + time.Nanosecond)
		s.get(502, "") // the probe fails
		s.state(Open)
		s.get(503, "10")
		s.calls(2)
		time.Sleep(10*time.Second + time.Nanosecond)
		s.answer(http.StatusOK, false)
		s.get(200, "")
		s.state(Closed)
	})
}

// A probe whose client goes away is neutral: it frees its slot, and the
// next request probes.
func TestBreakerCancelledProbeFreesSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScript(t, BreakerConfig{ConsecutiveFailures: 1, OpenTimeout: time.Second})
		s.answer(http.StatusInternalServerError, false)
		s.get(500, "")
		time.Sleep(time.Second + time.Nanosecond)
		s.answer(0, true)
		ctx, cancel := context.WithCancel(context.Background())
		probe := s.probe(ctx)
		s.get(503, "1") // the only slot is taken
		cancel()
		<-probe
		s.state(HalfOpen) // neither closed nor open again
		s.answer(http.StatusOK, false)
		s.get(200, "") // the slot is free: this one probes, and closes it
		s.state(Closed)
		s.calls(3)
	})
}

// The failure ratio trips the breaker once the window has the minimum of
// calls, and not before; the rolling window forgets old failures.
func TestBreakerFailureRatio(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScript(t, BreakerConfig{ConsecutiveFailures: 100, FailureRatio: 0.5, MinimumCalls: 10,
			Window: 10 * time.Second, Buckets: 10})
		for range 4 { // 5 failures of 9 calls: above the ratio, below the minimum
			s.answer(500, false)
			s.get(500, "")
			s.answer(200, false)
			s.get(200, "")
		}
		s.answer(500, false)
		s.get(500, "")
		s.state(Closed)
		s.answer(200, false)
		time.Sleep(11 * time.Second) // the window rolls past them all
		for range 9 {
			s.get(200, "")
		}
		s.answer(500, false)
		s.get(500, "") // 1 of 10: closed
		s.state(Closed)
		for range 8 {
			s.get(500, "")
		}
		s.state(Open) // 9 of 18
	})
}

// A slow success counts as a failure, and its response is still answered.
func TestBreakerSlowCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScript(t, BreakerConfig{ConsecutiveFailures: 2, SlowCallDuration: 100 * time.Millisecond})
		s.answer(0, true)
		for range 2 {
			done := s.probe(context.Background())
			time.Sleep(101 * time.Millisecond)
			s.release <- http.StatusOK
			if got := <-done; got != http.StatusOK {
				t.Fatalf("slow call answered %d, want its 200", got)
			}
		}
		s.state(Open)
	})
}

// 4xx responses are the client's problem, not failures; failure_statuses
// can say otherwise.
func TestBreakerFailureStatuses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScript(t, BreakerConfig{ConsecutiveFailures: 1})
		s.answer(http.StatusNotFound, false)
		s.get(404, "")
		s.answer(http.StatusTooManyRequests, false)
		s.get(429, "")
		s.state(Closed)
		s = newScript(t, BreakerConfig{ConsecutiveFailures: 1, FailureStatuses: []string{"429", "5xx"}})
		s.answer(http.StatusTooManyRequests, false)
		s.get(429, "")
		s.state(Open)
	})
}
