package batching

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are one batcher's Prometheus figures, each labelled with its
// name as "batcher" (a constant label, so that the batchers of one app
// register side by side). Counters are resolved per reason once, so the
// actor never hashes label values.
type metrics struct {
	size, wait, duration prometheus.Histogram
	queued, inFlight     prometheus.Gauge
	restarts             prometheus.Counter
	rejections           [numRejectReasons]prometheus.Counter
	flushes              [numFlushReasons]prometheus.Counter
	drops                [numDropReasons]prometheus.Counter
	failures             [numFailReasons]prometheus.Counter
	all                  []prometheus.Collector
}

// latencyBuckets span 50µs to about 13s, for queue waits and batch
// durations.
var latencyBuckets = prometheus.ExponentialBuckets(0.00005, 2, 19)

func newMetrics(name string) *metrics {
	labels := prometheus.Labels{"batcher": name}
	m := &metrics{
		size: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "troupe_batch_size", Help: "Items per batch sent to the batch function.",
			ConstLabels: labels, Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "troupe_batch_queue_wait_seconds", Help: "How long items waited in the queue before their batch was sent.",
			ConstLabels: labels, Buckets: latencyBuckets,
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "troupe_batch_duration_seconds", Help: "How long the batch function took per batch.",
			ConstLabels: labels, Buckets: latencyBuckets,
		}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "troupe_batch_queue_items", Help: "Items waiting for a batch.", ConstLabels: labels,
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "troupe_batch_in_flight", Help: "Batches running.", ConstLabels: labels,
		}),
		restarts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "troupe_batch_restarts_total", Help: "Times the batcher's actor failed (panicked) and dropped its queue, answering every item in it.", ConstLabels: labels,
		}),
	}
	rejections := counterVec("troupe_batch_rejections_total", "Items refused at once, by reason (queue_full, key_queue_full, queue_delay, stopped).", labels)
	flushes := counterVec("troupe_batch_flushes_total", "Batches sent, by the reason they went (size, preferred, delay, eager, share, shutdown).", labels)
	drops := counterVec("troupe_batch_dropped_total", "Items taken out of the queue unsent, by reason (canceled, deadline, too_late, stopped, failed).", labels)
	failures := counterVec("troupe_batch_failures_total", "Batches whose every item failed, by reason (error, panic, result_count).", labels)
	for r := range numRejectReasons {
		m.rejections[r] = rejections.WithLabelValues(r.String())
	}
	for r := range numFlushReasons {
		m.flushes[r] = flushes.WithLabelValues(r.String())
	}
	for r := range numDropReasons {
		m.drops[r] = drops.WithLabelValues(r.String())
	}
	for r := range numFailReasons {
		m.failures[r] = failures.WithLabelValues(r.String())
	}
	m.all = []prometheus.Collector{m.size, m.wait, m.duration, m.queued, m.inFlight, m.restarts, rejections, flushes, drops, failures}
	return m
}

func counterVec(name, help string, labels prometheus.Labels) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, []string{"reason"})
}

func (m *metrics) describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.all {
		c.Describe(ch)
	}
}

func (m *metrics) collect(ch chan<- prometheus.Metric) {
	for _, c := range m.all {
		c.Collect(ch)
	}
}
