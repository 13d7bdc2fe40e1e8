package upstream

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are an upstream's Prometheus metrics, all labelled with the
// upstream's name (a constant label, so that several upstreams register
// side by side on one registry). The label children used on every call
// are resolved once, here.
type metrics struct {
	state       *prometheus.GaugeVec   // state: 1 for the current one
	transitions *prometheus.CounterVec // from, to
	attempts    *prometheus.CounterVec // result
	rejections  *prometheus.CounterVec // reason
	retries     prometheus.Counter
	denied      *prometheus.CounterVec // reason: the retries not made
	inFlight    prometheus.Gauge
	healthy     *prometheus.GaugeVec // target
	duration    prometheus.Histogram
	limit       prometheus.GaugeFunc // the bulkhead's current limit

	results [numResults]prometheus.Counter
	rejects [numRejects]prometheus.Counter
	budget  prometheus.Counter // retries denied by the budget
	breaker prometheus.Counter // retries denied by the breaker
}

// rejectReason says why a call was refused without an attempt.
type rejectReason int

const (
	rejectOpen     rejectReason = iota // the breaker is open
	rejectHalfOpen                     // the half-open breaker has every probe out
	rejectBulkhead                     // the bulkhead is full
	rejectDeadline                     // too little time left
	numRejects
)

var rejectNames = [numRejects]string{"open", "half_open", "bulkhead", "deadline"}

func newMetrics(name string, limit func() int) *metrics {
	labels := prometheus.Labels{"upstream": name}
	opts := func(n, help string) prometheus.Opts {
		return prometheus.Opts{Namespace: "troupe", Subsystem: "upstream", Name: n, Help: help, ConstLabels: labels}
	}
	states := listOf(stateNames[:])
	m := &metrics{
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts(opts("breaker_state",
			"The state of the upstream's circuit breaker, by state: "+states+"; 1 for the current state, 0 for the others.")), []string{"state"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts(opts("breaker_transitions_total",
			"Changes of state of the upstream's circuit breaker, from a state to another: "+states+".")), []string{"from", "to"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts(opts("attempts_total",
			"Attempts sent to the upstream, by result: "+listOf(resultNames[:])+" (ok: a success; failed_status, slow, connection_error, timeout, "+
				"too_large: failures; canceled: the client went away; client_body: the client's streamed body failed; these two are neutral).")), []string{"result"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts(opts("rejections_total",
			"Attempts refused before they were sent (a request's first, or a retry), by reason: "+listOf(rejectNames[:])+
				" (open: the breaker is open; half_open: every probe is out; bulkhead: full; deadline: too little time left).")), []string{"reason"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts(opts("retries_total", "Retries sent to the upstream."))),
		denied: prometheus.NewCounterVec(prometheus.CounterOpts(opts("retries_denied_total",
			"Retries not made although the attempt could be retried, by reason: budget (spent) or breaker (not closed).")), []string{"reason"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts(opts("in_flight", "Requests to the upstream in progress (holding a bulkhead place)."))),
		healthy: prometheus.NewGaugeVec(prometheus.GaugeOpts(opts("target_healthy",
			"1 while a target takes attempts, 0 while it is ejected or failing its health checks.")), []string{"target"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "troupe", Subsystem: "upstream", Name: "attempt_duration_seconds", ConstLabels: labels,
			Help:    "How long attempts took, to the end of the response body.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
	m.limit = prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("bulkhead_limit",
		"The bulkhead's current limit: calls in progress at once, adaptive under max_concurrent unless adaptive: false.")),
		func() float64 { return float64(limit()) })
	for r := range numResults {
		m.results[r] = m.attempts.WithLabelValues(result(r).String())
	}
	for r := range numRejects {
		m.rejects[r] = m.rejections.WithLabelValues(rejectNames[r])
	}
	m.budget = m.denied.WithLabelValues("budget")
	m.breaker = m.denied.WithLabelValues("breaker")
	m.setState(Closed)
	return m
}

// setState marks s as the breaker's state.
func (m *metrics) setState(s State) {
	for _, st := range []State{Closed, HalfOpen, Open} {
		v := 0.0
		if st == s {
			v = 1
		}
		m.state.WithLabelValues(st.String()).Set(v)
	}
}

// collectors returns every collector, for Describe and Collect.
func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.state, m.transitions, m.attempts, m.rejections, m.retries, m.denied, m.inFlight, m.healthy, m.duration, m.limit}
}

// listOf lists label values for a HELP text: "a, b or c".
func listOf(values []string) string {
	if len(values) < 2 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}
