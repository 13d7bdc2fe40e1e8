package cluster

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are a member's figures on /metrics.
type metrics struct {
	members     prometheus.Gauge
	up          prometheus.Gauge
	active      prometheus.Gauge
	activations prometheus.Counter
	calls       *prometheus.HistogramVec
	leases      *prometheus.CounterVec
	breakers    *breakerMetrics
	batchItems  *prometheus.CounterVec   // see batchforward.go
	batchSizes  *prometheus.HistogramVec // see batchforward.go
}

func newMetrics() *metrics {
	return &metrics{
		members: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "troupe_cluster_members",
			Help: "Members of the cluster this member sees, itself included.",
		}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "troupe_cluster_up",
			Help: "1 while this member is in the cluster and reaches the grains it calls; 0 while it runs on its own state.",
		}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "troupe_cluster_grains",
			Help: "Grains (cluster-wide buckets, batchers of scope cluster) active on this member.",
		}),
		activations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "troupe_cluster_grain_activations_total",
			Help: "Grains activated on this member, re-activations after a member left included.",
		}),
		calls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "troupe_cluster_remote_call_seconds",
			Help:    "Calls to grains (on this member or another), by result: ok or error.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5},
		}, []string{"result"}),
		leases: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "troupe_cluster_lease_refills_total",
			Help: "Calls for leases of cluster-wide rate-limit tokens, by limiter and result: granted, empty (the bucket had none), returned (unspent tokens given back, none asked for) or error (its grain was not reached).",
		}, []string{"limiter", "result"}),
		breakers: newBreakerMetrics(),
		batchItems: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "troupe_cluster_batch_forwarded_items_total",
			Help: "Items of batchers of scope cluster that this member sent to their key's grain, by batcher and result: ok (the grain answered them), expired (no answer before their deadline), lost (the grain was not reached: on_cluster_loss decided) or error.",
		}, []string{"batcher", "result"}),
		batchSizes: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "troupe_cluster_batch_size",
			Help:    "Items per batch that the grains of batchers of scope cluster on this member ran: every member's items together.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}, []string{"batcher"}),
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return append([]prometheus.Collector{m.members, m.up, m.active, m.activations, m.calls, m.leases, m.batchItems, m.batchSizes}, m.breakers.collectors()...)
}

// leased counts one call for a lease of the limiter named name.
func (m *metrics) leased(name string, want, granted int64, err error) {
	result := "granted"
	switch {
	case err != nil:
		result = "error"
	case want == 0:
		result = "returned"
	case granted == 0:
		result = "empty"
	}
	m.leases.WithLabelValues(name, result).Inc()
}
