package cluster

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe/cluster/breakerlease"
)

// breakerMetrics are a member's figures of cluster-wide breakers: the
// renewals of its leases, and the grains it owns.
type breakerMetrics struct {
	renewals    *prometheus.CounterVec
	transitions *prometheus.CounterVec
	grains      prometheus.Gauge
}

func newBreakerMetrics() *breakerMetrics {
	return &breakerMetrics{
		renewals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "troupe_cluster_breaker_renewals_total",
			Help: "Renewals of this member's leases of cluster-wide circuit breakers, by upstream and result: the state the lease said (closed, half_open, open) or error (its grain was not reached).",
		}, []string{"upstream", "result"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "troupe_cluster_breaker_transitions_total",
			Help: "Changes of state of the cluster-wide circuit breakers whose grains this member owns, by upstream and the state changed to.",
		}, []string{"upstream", "to"}),
		grains: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "troupe_cluster_breaker_grains",
			Help: "Grains of cluster-wide circuit breakers active on this member.",
		}),
	}
}

func (m *breakerMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.renewals, m.transitions, m.grains}
}

// changed counts a change of state of the breaker name, on its owner.
func (m *breakerMetrics) changed(name string, to breakerlease.State) {
	m.transitions.WithLabelValues(name, to.String()).Inc()
}

// Renewed counts one renewal; it is a breakerlease.Observer.
func (m *breakerMetrics) Renewed(name string, _ time.Duration, g breakerlease.Grant, err error) {
	result := g.State.String()
	if err != nil {
		result = "error"
	}
	m.renewals.WithLabelValues(name, result).Inc()
}
