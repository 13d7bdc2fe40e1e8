package breaker

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe/actors"
)

// metrics are a breaker stage's Prometheus metrics, labelled with its name
// (a constant label, so that several breakers register side by side on
// one registry). The label children used on every request are resolved
// once, here.
type metrics struct {
	state       prometheus.GaugeFunc
	transitions *prometheus.CounterVec // from, to
	rejections  *prometheus.CounterVec // reason
	outcomes    *prometheus.CounterVec // outcome

	name    string
	trans   [numStates][numStates]prometheus.Counter
	rejects [numRejects]prometheus.Counter
	calls   [numOutcomes]prometheus.Counter
}

// rejectReason says why the breaker refused a request.
type rejectReason int

const (
	rejectOpen     rejectReason = iota // the breaker is open
	rejectHalfOpen                     // the half-open breaker has every probe out
	numRejects
)

var rejectNames = [numRejects]string{"open", "half_open"}

func newMetrics(name string) *metrics {
	m := &metrics{name: name}
	m.transitions = prometheus.NewCounterVec(prometheus.CounterOpts(m.opts("transitions_total",
		"Changes of state of the breaker stage's circuit breaker, by from and to: closed, half_open, open.")), []string{"from", "to"})
	m.rejections = prometheus.NewCounterVec(prometheus.CounterOpts(m.opts("rejections_total",
		"Requests the breaker stage refused without running the rest of the route (503, or its fallback), by reason: "+
			"open, half_open (every probe out).")), []string{"reason"})
	m.outcomes = prometheus.NewCounterVec(prometheus.CounterOpts(m.opts("calls_total",
		"Requests the breaker stage let through, by outcome: success, failure (a failure status), slow (a failure: "+
			"slower than slow_call_duration), neutral (client gone, deadline passed, shed or refused further in).")), []string{"outcome"})
	for _, t := range transitions {
		m.trans[t[0]][t[1]] = m.transitions.WithLabelValues(t[0].String(), t[1].String())
	}
	for r := range numRejects {
		m.rejects[r] = m.rejections.WithLabelValues(rejectNames[r])
	}
	for o := range numOutcomes {
		m.calls[o] = m.outcomes.WithLabelValues(outcomeNames[o])
	}
	return m
}

// opts returns the options of the metric troupe_breaker_NAME.
func (m *metrics) opts(name, help string) prometheus.Opts {
	return prometheus.Opts{Namespace: "troupe", Subsystem: "breaker", Name: name, Help: help,
		ConstLabels: prometheus.Labels{"breaker": m.name}}
}

// watch makes the state gauge read state at each scrape.
func (m *metrics) watch(state func() State) {
	m.state = prometheus.NewGaugeFunc(prometheus.GaugeOpts(m.opts("state",
		"The state of the breaker stage's circuit breaker: 0 closed, 1 half_open, 2 open.")),
		func() float64 { return float64(state()) })
}

// transitions are the changes of state gobreaker makes, each exported
// from the start (at 0).
var transitions = [...][2]State{{Closed, Open}, {Open, HalfOpen}, {HalfOpen, Closed}, {HalfOpen, Open}}

// transition counts a change of state.
func (m *metrics) transition(from, to State) {
	if from >= 0 && from < numStates && to >= 0 && to < numStates && m.trans[from][to] != nil {
		m.trans[from][to].Inc()
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.state, m.transitions, m.rejections, m.outcomes}
}

// Collector is the Prometheus collector of one breaker stage, and a
// troupe.Component that does nothing else: app.Add(breaker.Metrics(spec))
// registers its metrics on the app's /metrics when the app starts.
type Collector struct{ m *metrics }

var _ prometheus.Collector = (*Collector)(nil)

// Metrics returns the collector of the breaker of spec, a Spec made by
// New. It panics for any other Spec. Add it to the app once, however many
// routes use the Spec.
func Metrics(spec *actors.Spec) *Collector { return &Collector{m: of(spec).m} }

// Start implements troupe.Component: the breaker has no actors.
func (c *Collector) Start(*actors.System) error { return nil }

// Stop implements troupe.Component.
func (c *Collector) Stop(context.Context) error { return nil }

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, col := range c.m.collectors() {
		col.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, col := range c.m.collectors() {
		col.Collect(ch)
	}
}
