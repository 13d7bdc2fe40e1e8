package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/troupe-go/troupe/overload"
)

// Limiter is one overload.Limiter to report, under its name: "ingress",
// or "stage:NAME" for a stage's concurrency cap.
type Limiter struct {
	Name string
	L    *overload.Limiter
}

// OverloadCollector reports, at scrape time, the overload limiters
// (package overload) that limiters returns: each one's current limit, what
// runs and waits under it, how long the oldest waiter has waited, its
// service-time estimates, and its admissions and refusals by class and
// reason, labelled limiter=NAME.
type OverloadCollector struct {
	limiters func() []Limiter

	limit, inFlight, queued, queueDelay, rtt, standing *prometheus.Desc
	admitted, rejected                                 *prometheus.Desc
}

// NewOverloadCollector returns a collector over the limiters that limiters
// returns, asked at each scrape.
func NewOverloadCollector(limiters func() []Limiter) *OverloadCollector {
	classes := "class: critical, default or sheddable"
	// Every desc's help ends with the limiter label's values.
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help+" Labelled limiter: ingress, or stage:NAME for a stage's concurrency cap.", append([]string{"limiter"}, labels...), nil)
	}
	return &OverloadCollector{
		limiters:   limiters,
		limit:      desc("troupe_overload_limit", "The adaptive concurrency limit now: how many requests may run at once."),
		inFlight:   desc("troupe_overload_in_flight", "Requests admitted by the adaptive limit and not yet finished."),
		queued:     desc("troupe_overload_queued", "Requests waiting for the adaptive limit to admit them, by "+classes+".", "class"),
		queueDelay: desc("troupe_overload_queue_delay_seconds", "How long the oldest request waiting for the adaptive limit has waited; 0 when none waits."),
		rtt:        desc("troupe_overload_service_time_seconds", "The adaptive limit's service-time estimates: estimate is min (unloaded) or smoothed (recent).", "estimate"),
		standing:   desc("troupe_overload_standing_queue", "1 while the queue has stood past its target (sustained overload): waits are cut to the target, sheddable requests are not queued."),
		admitted:   desc("troupe_overload_admitted_total", "Requests the adaptive limit admitted, by "+classes+".", "class"),
		rejected: desc("troupe_overload_rejected_total", "Requests a limiter refused, by reason (limit: no room, 503; queue_delay: waited past the target, 503; "+
			"deadline: its deadline could not be met, 504; canceled: the client left while it waited, no answer) and "+classes+".", "reason", "class"),
	}
}

// Describe implements prometheus.Collector.
func (c *OverloadCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.limit, c.inFlight, c.queued, c.queueDelay, c.rtt, c.standing, c.admitted, c.rejected} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *OverloadCollector) Collect(ch chan<- prometheus.Metric) {
	for _, l := range c.limiters() {
		c.collect(ch, l.Name, l.L.Stats())
	}
}

// collect reports one limiter's stats.
func (c *OverloadCollector) collect(ch chan<- prometheus.Metric, name string, s overload.Stats) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{name}, labels...)...)
	}
	gauge(c.limit, float64(s.Limit))
	gauge(c.inFlight, float64(s.InFlight))
	gauge(c.queueDelay, s.QueueDelay.Seconds())
	gauge(c.rtt, s.MinRTT.Seconds(), "min")
	gauge(c.rtt, s.RTT.Seconds(), "smoothed")
	standing := 0.0
	if s.Standing {
		standing = 1
	}
	gauge(c.standing, standing)
	for i := range overload.NumClasses {
		class := overload.Class(i).String()
		gauge(c.queued, float64(s.Queued[i]), class)
		ch <- prometheus.MustNewConstMetric(c.admitted, prometheus.CounterValue, float64(s.Admitted[i]), name, class)
		for r := range overload.NumReasons {
			ch <- prometheus.MustNewConstMetric(c.rejected, prometheus.CounterValue, float64(s.Rejected[r][i]), name, overload.Reason(r).String(), class)
		}
	}
}
