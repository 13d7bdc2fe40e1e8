// Package metrics exports a troupe server's figures in the Prometheus text
// format: requests by route, method and status, a latency histogram,
// requests in flight, rejections by reason, stage restarts, stage state and
// stage queue depth, and the build.
package metrics

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/troupe-go/troupe/httpin"
)

// Metrics is a registry of a server's figures. It implements
// httpin.Observer; its methods are safe for concurrent use.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	rejections *prometheus.CounterVec
	connCaps   *prometheus.CounterVec

	// Resolved label children, so the request path does not hash labels.
	counters  sync.Map // requestKey → prometheus.Counter
	observers sync.Map // routeKey → prometheus.Observer
}

type routeKey struct{ route, method string }

type requestKey struct {
	routeKey
	status int
}

// UnmatchedRoute is the route label of a request no route took: 404, 405,
// a bad path, or a refusal before routing.
const UnmatchedRoute = "unmatched"

// New returns a registry with the request metrics, troupe_build_info and
// the Go runtime and process collectors registered.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "troupe_requests_total",
			Help: "Requests answered, by route pattern (" + UnmatchedRoute + " when no route took it: 404, 405, 400 for a bad path, " +
				"or a refusal before routing), method (" + methodsHelp + ") and status (499: the client went away first).",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "troupe_request_duration_seconds",
			Help: "Time from admission to the response being written, by route pattern (" + UnmatchedRoute + " when no route took it) " +
				"and method (" + methodsHelp + ").",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "troupe_rejections_total",
			Help: "Requests answered by the ingress without a pipeline result, by reason: " + join(httpin.Rejections) +
				" (overload: 503, or 504 for a deadline the limit could not meet; bad_path, bad_body: 400; not_found: 404; " +
				"method_not_allowed: 405; body_too_large: 413; stage_down: 503; deadline: 504; client_gone: no answer, 499 in troupe_requests_total).",
		}, []string{"reason"}),
		connCaps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "troupe_connections_rejected_total",
			Help: "Connections closed as soon as they were accepted, by the cap they were past: " + join(httpin.ConnRejections) + ".",
		}, []string{"reason"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.rejections, m.connCaps, newBuildInfo(),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// join lists values for a HELP text: "a, b or c".
func join[S ~string](values []S) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// Registry returns the registry, to serve or to register more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Observe implements httpin.Observer.
func (m *Metrics) Observe(route, method string, status int, d time.Duration) {
	if route == "" {
		route = UnmatchedRoute
	}
	rk := routeKey{route, MethodLabel(method)}
	k := requestKey{rk, status}
	c, ok := m.counters.Load(k)
	if !ok {
		c, _ = m.counters.LoadOrStore(k, m.requests.WithLabelValues(rk.route, rk.method, strconv.Itoa(status)))
	}
	c.(prometheus.Counter).Inc()
	o, ok := m.observers.Load(rk)
	if !ok {
		o, _ = m.observers.LoadOrStore(rk, m.latency.WithLabelValues(rk.route, rk.method))
	}
	o.(prometheus.Observer).Observe(d.Seconds())
}

// ConnRejected implements httpin.ConnObserver.
func (m *Metrics) ConnRejected(reason httpin.ConnRejection) {
	m.connCaps.WithLabelValues(string(reason)).Inc()
}

// Rejected implements httpin.Observer.
func (m *Metrics) Rejected(reason httpin.Rejection) {
	m.rejections.WithLabelValues(string(reason)).Inc()
}

// WatchInFlight exports troupe_requests_in_flight, read from inFlight at
// scrape time: the ingress counts requests once, for admission, and the
// request path pays nothing more for the gauge.
func (m *Metrics) WatchInFlight(inFlight func() int64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "troupe_requests_in_flight", Help: "Requests admitted and not yet answered.",
	}, func() float64 { return float64(inFlight()) }))
}

var _ httpin.Observer = (*Metrics)(nil)
