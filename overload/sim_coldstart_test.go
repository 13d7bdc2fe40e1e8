package overload

import (
	"testing"
	"testing/synctest"
	"time"
)

// ingressConfig is the limiter's configuration as the ingress uses it by
// default (httpin.DefaultInitialLimit).
var ingressConfig = Config{InitialLimit: 128}

// TestSimColdStart: a cold server, its limit at the ingress's default, is
// offered 2×, 5× and 10× what its backend serves from the first
// millisecond, for 30 s. The backend's 16 slots are invisible to the
// limiter (a handler waiting on a pool of its own): what the limit lets in
// before it has measured anything waits inside. The p99 of what is served
// must still be within 5× the service time, and goodput at capacity.
func TestSimColdStart(t *testing.T) {
	t.Log(simHeader)
	for _, load := range []float64{2, 5, 10} {
		synctest.Test(t, func(t *testing.T) {
			r := runSim(t, simRun{rate: load * simCap, dur: 30 * time.Second, cfg: ingressConfig})
			t.Logf("%s", r.row(fmtLoad(load)))
			if p := pct(r.total, 0.99); p > 5*simService {
				t.Errorf("%v from cold: p99 of the served %v, want ≤ %v", fmtLoad(load), p, 5*simService)
			}
			if r.goodput < 0.9*simCap {
				t.Errorf("%v from cold: goodput %.0f/s, want ≥ 90%% of %.0f/s", fmtLoad(load), r.goodput, simCap)
			}
		})
	}
}

// TestSimSlowStart: a healthy backend that needs more concurrency than the
// limit starts with — 3,000 req/s of 100 ms requests, 300 at once, with
// room for all of them — gets it within a second (what a cold start costs
// such a backend: the refusals of that second), and nothing is refused
// after.
func TestSimSlowStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := 100 * time.Millisecond
		r := runSim(t, simRun{rate: 3000, dur: 5 * time.Second, warm: time.Second, cfg: ingressConfig, slots: 10000,
			service: func(time.Duration) time.Duration { return svc }, traceEach: 50 * time.Millisecond})
		reached := time.Duration(-1)
		for _, p := range r.trace {
			if p.stats.Limit >= 300 {
				reached = p.at
				break
			}
		}
		rej := r.rejectedTotal()
		t.Logf("limit reached 300 at %v; %d of %d refused after 1 s; p99 %v", reached, rej, r.offered, pct(r.total, 0.99))
		if reached < 0 || reached > time.Second {
			t.Errorf("the limit reached 300 at %v, want within 1 s", reached)
		}
		if rej != 0 {
			t.Errorf("%d refused after the first second on a healthy backend, want 0 (%s)", rej, reasons(r))
		}
	})
}
