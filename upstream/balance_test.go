package upstream

import (
	"net/http"
	"testing"
	"time"
)

// Round robin takes the targets in turn.
func TestBalanceRoundRobin(t *testing.T) {
	a, b, c := newUpstreamServer(t, status(200)), newUpstreamServer(t, status(200)), newUpstreamServer(t, status(200))
	p := proxy(t, Config{Targets: []string{a.URL, b.URL, c.URL}}, ProxyConfig{})
	for range 30 {
		get(t, p, "/x", time.Second)
	}
	for i, s := range []*upstreamServer{a, b, c} {
		if got := s.calls.Load(); got != 10 {
			t.Errorf("target %d got %d of 30 calls, want 10", i, got)
		}
	}
}

// Least in-flight keeps away from a target with a call in progress.
func TestBalanceLeastInFlight(t *testing.T) {
	g := make(gate)
	a, b := newUpstreamServer(t, g.handler), newUpstreamServer(t, status(200))
	p := proxy(t, Config{Targets: []string{a.URL, b.URL}, Balance: LeastInFlight}, ProxyConfig{})
	held := make(chan answer, 1)
	go func() { held <- get(t, p, "/x", 5*time.Second) }()
	waitFor(t, "a call held by the first target", func() bool { return a.inFlight.Load() == 1 })
	for range 10 {
		get(t, p, "/x", time.Second)
	}
	close(g)
	<-held
	if a.calls.Load() != 1 || b.calls.Load() != 10 {
		t.Errorf("calls: busy target %d, idle target %d; want 1 and 10", a.calls.Load(), b.calls.Load())
	}
}

// A target that fails health.consecutive_failures attempts in a row is
// ejected: the others take its share.
func TestBalancePassiveEjection(t *testing.T) {
	bad, good := newUpstreamServer(t, status(http.StatusInternalServerError)), newUpstreamServer(t, status(200))
	cfg := Config{Targets: []string{bad.URL, good.URL}, Health: HealthConfig{ConsecutiveFailures: 3, EjectionTime: time.Minute},
		Breaker: BreakerConfig{ConsecutiveFailures: 100}}
	p := proxy(t, cfg, ProxyConfig{})
	for range 6 { // alternating: three failures on the bad target
		get(t, p, "/x", time.Second)
	}
	st := p.up.Status()
	if st.Targets[0].Healthy || !st.Targets[1].Healthy {
		t.Fatalf("after three failures in a row: %+v, want the first target ejected", st.Targets)
	}
	for range 10 {
		if a := get(t, p, "/x", time.Second); a.status != http.StatusOK {
			t.Errorf("with the bad target ejected: %d", a.status)
		}
	}
	if bad.calls.Load() != 3 {
		t.Errorf("the ejected target got %d calls, want none after its 3", bad.calls.Load())
	}
}

// Active checks take a target failing its health path out of the rotation;
// with every target failing, all of them take traffic again.
func TestBalanceActiveChecks(t *testing.T) {
	healthy := func(ok bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/healthz" && !ok {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}
	}
	sick, fine := newUpstreamServer(t, healthy(false)), newUpstreamServer(t, healthy(true))
	p := proxy(t, Config{Targets: []string{sick.URL, fine.URL}, Health: HealthConfig{Path: "/healthz", Interval: time.Hour}}, ProxyConfig{})
	waitFor(t, "the first check", func() bool { st := p.up.Status(); return !st.Targets[0].Healthy })
	checks := sick.calls.Load()
	for range 10 {
		get(t, p, "/x", time.Second)
	}
	if got := sick.calls.Load() - checks; got != 0 {
		t.Errorf("the target failing its checks got %d calls, want 0", got)
	}

	sick2, sick3 := newUpstreamServer(t, healthy(false)), newUpstreamServer(t, healthy(false))
	p = proxy(t, Config{Targets: []string{sick2.URL, sick3.URL}, Health: HealthConfig{Path: "/healthz", Interval: time.Hour}}, ProxyConfig{})
	waitFor(t, "both checks", func() bool { st := p.up.Status(); return !st.Targets[0].Healthy && !st.Targets[1].Healthy })
	for range 4 {
		if a := get(t, p, "/x", time.Second); a.status != http.StatusOK {
			t.Errorf("every target failing its checks: %d, want the calls to go through anyway", a.status)
		}
	}
}
