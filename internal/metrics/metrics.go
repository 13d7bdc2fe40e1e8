// Package metrics exports a troupe server's figures in the Prometheus text
// format: requests by route and status, a latency histogram, requests in
// flight, rejections by reason, stage restarts, stage state and stage queue
// depth.
package metrics

import (
	"strconv"
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
	observers sync.Map // route → prometheus.Observer
}

type requestKey struct {
	route  string
	status int
}

// New returns a registry with the request metrics and the Go runtime and
// process collectors registered.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "troupe_requests_total", Help: "Requests answered, by route pattern and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "troupe_request_duration_seconds",
			Help:    "Time from admission to the response being written, by route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "troupe_rejections_total", Help: "Requests answered by the ingress without a pipeline result, by reason.",
		}, []string{"reason"}),
		connCaps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "troupe_connections_rejected_total", Help: "Connections closed as soon as they were accepted, by the cap they were past: max_connections or max_connections_per_ip.",
		}, []string{"reason"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.rejections, m.connCaps,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry, to serve or to register more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Observe implements httpin.Observer.
func (m *Metrics) Observe(route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	k := requestKey{route, status}
	c, ok := m.counters.Load(k)
	if !ok {
		c, _ = m.counters.LoadOrStore(k, m.requests.WithLabelValues(route, strconv.Itoa(status)))
	}
	c.(prometheus.Counter).Inc()
	o, ok := m.observers.Load(route)
	if !ok {
		o, _ = m.observers.LoadOrStore(route, m.latency.WithLabelValues(route))
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
