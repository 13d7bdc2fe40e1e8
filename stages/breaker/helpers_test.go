package breaker_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/breaker"
	"github.com/troupe-go/troupe/stagetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// db stands for a database behind a handler: it answers 200, or fails
// (500, as a handler's error is) while down; with hold set it waits for a
// release or for the request's end.
type db struct {
	down    atomic.Bool
	hold    atomic.Bool
	calls   atomic.Int64
	entered chan struct{} // one per call that holds, when not nil
	release chan struct{} // closed to let held calls go
}

func newDB() *db { return &db{entered: make(chan struct{}, 64), release: make(chan struct{})} }

// handler is the route's handler: the call to the database.
func (d *db) handler(ex *actors.Exchange) error {
	d.calls.Add(1)
	if d.hold.Load() {
		d.entered <- struct{}{}
		select {
		case <-d.release:
		case <-ex.Context().Done():
			return ex.Context().Err()
		}
	}
	if d.down.Load() {
		return errors.New("orders database: connection refused")
	}
	return ex.JSON(http.StatusOK, map[string]string{"order": "42"})
}

// mustNew returns the Spec of a breaker stage named "db" with cfg.
func mustNew(t testing.TB, cfg breaker.Config) *actors.Spec {
	t.Helper()
	spec, err := breaker.New("db", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// mounted is a breaker stage in front of a database handler, run the way
// the pipeline runs them (stagetest: Process, the handler, After; errors
// mapped to their responses), without an app: usable inside a
// testing/synctest bubble, where the breaker must be made so that its
// clock is the bubble's. (An app's pipeline keeps its deadline timers in
// a pool that outlives a bubble; the app is tested over loopback HTTP in
// http_test.go.)
type mounted struct {
	t    *testing.T
	spec *actors.Spec
	d    *db
}

// mount puts the breaker of spec in front of d.
func mount(t *testing.T, spec *actors.Spec, d *db) *mounted {
	return &mounted{t: t, spec: spec, d: d}
}

// recorded is what the client would get.
type recorded struct {
	Code   int
	header http.Header
	Body   string
}

// Header returns the response's header.
func (r recorded) Header() http.Header { return r.header }

// get serves one GET /orders under ctx, with an hour's deadline.
func (m *mounted) get(ctx context.Context) recorded {
	out := stagetest.RunSpec(m.t, m.spec, httptest.NewRequestWithContext(ctx, http.MethodGet, "/orders", nil),
		stagetest.WithHandler(m.d.handler), stagetest.WithTimeout(time.Hour))
	return recorded{Code: out.Status, header: out.Header, Body: string(out.Body)}
}

// want makes one request and checks its status and Retry-After ("" for
// none).
func (m *mounted) want(status int, retryAfter string) recorded {
	m.t.Helper()
	rec := m.get(context.Background())
	if rec.Code != status || rec.Header().Get("Retry-After") != retryAfter {
		m.t.Fatalf("GET /orders = %d, Retry-After %q (%s); want %d, %q", rec.Code, rec.Header().Get("Retry-After"), rec.Body, status, retryAfter)
	}
	return rec
}

// state checks the breaker's state.
func (m *mounted) state(want breaker.State) {
	m.t.Helper()
	if got := breaker.StateOf(m.spec); got != want {
		m.t.Fatalf("breaker %s, want %s", got, want)
	}
}

// metric returns the value of the breaker metric troupe_breaker_NAME whose
// labels (besides breaker) are labels, as name=value pairs; 0 if absent.
func metric(t testing.TB, spec *actors.Spec, name string, labels ...string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := reg.Register(breaker.Metrics(spec)); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "troupe_breaker_"+name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			for _, want := range labels {
				k, v, _ := strings.Cut(want, "=")
				found := false
				for _, l := range m.GetLabel() {
					found = found || l.GetName() == k && l.GetValue() == v
				}
				if !found {
					continue next
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// outcomes returns the breaker's calls_total by outcome.
func outcomes(t testing.TB, spec *actors.Spec) map[string]float64 {
	t.Helper()
	got := map[string]float64{}
	for _, o := range []string{"success", "failure", "slow", "neutral"} {
		if v := metric(t, spec, "calls_total", "outcome="+o); v != 0 {
			got[o] = v
		}
	}
	return got
}

// backs is an outer stage (priority global) whose after-phase, which runs
// after the breaker's, sends on a channel: a test waits on it to know
// that the breaker has judged an exchange.
type backs struct{ ch chan struct{} }

// newBacks returns a backs with room for n exchanges: its after-phase
// never waits on the test.
func newBacks(n int) *backs { return &backs{ch: make(chan struct{}, n)} }

func (b *backs) spec() *actors.Spec {
	return troupe.Stage("backs", actors.Global, actors.Around(func(*actors.Exchange) error { return nil },
		func(*actors.Exchange) { b.ch <- struct{}{} }))
}
