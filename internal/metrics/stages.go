package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/supervisor"
)

// StageCollector reports, at scrape time, each stage's restarts and whether
// it is down, each hop's queue depth, and for each stage with a
// concurrency cap (Spec.Concurrency) the cap and how many requests run it.
type StageCollector struct {
	tree *supervisor.Tree
	hops func() []*pipeline.Hop

	restarts *prometheus.Desc
	down     *prometheus.Desc
	queued   *prometheus.Desc
	running  *prometheus.Desc
	waiting  *prometheus.Desc
	limit    *prometheus.Desc
}

// NewStageCollector returns a collector over tree's stages and the hops
// that hops returns.
func NewStageCollector(tree *supervisor.Tree, hops func() []*pipeline.Hop) *StageCollector {
	return &StageCollector{
		tree:     tree,
		hops:     hops,
		restarts: prometheus.NewDesc("troupe_stage_restarts_total", "Restarts of a stage's actors after a failure.", []string{"stage"}, nil),
		down:     prometheus.NewDesc("troupe_stage_down", "1 while a stage is marked down after repeated failures.", []string{"stage"}, nil),
		queued:   prometheus.NewDesc("troupe_stage_queue_depth", "Exchanges waiting in a stateful stage's mailboxes.", []string{"hop"}, nil),
		waiting:  prometheus.NewDesc("troupe_stage_waiting", "Requests waiting for a slot of a stage that has a concurrency cap.", []string{"stage"}, nil),
		running:  prometheus.NewDesc("troupe_stage_running", "Requests running a stage that has a concurrency cap (Spec.Concurrency, concurrency in config).", []string{"stage"}, nil),
		limit:    prometheus.NewDesc("troupe_stage_concurrency_limit", "The concurrency cap of a stage that has one.", []string{"stage"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *StageCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.restarts
	ch <- c.down
	ch <- c.queued
	ch <- c.running
	ch <- c.waiting
	ch <- c.limit
}

// Collect implements prometheus.Collector.
func (c *StageCollector) Collect(ch chan<- prometheus.Metric) {
	for _, h := range c.tree.Health() {
		ch <- prometheus.MustNewConstMetric(c.restarts, prometheus.CounterValue, float64(h.Restarts()), h.Name())
		down := 0.0
		if h.Down() {
			down = 1
		}
		ch <- prometheus.MustNewConstMetric(c.down, prometheus.GaugeValue, down, h.Name())
	}
	seen := map[*actors.Spec]bool{}
	for _, hop := range c.hops() {
		ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(hop.Queued()), hop.Name())
		for _, s := range hop.Specs() {
			running, waiting, capped := s.Load()
			if !capped || seen[s] {
				continue
			}
			seen[s] = true
			ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, float64(running), s.Name)
			ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(waiting), s.Name)
			ch <- prometheus.MustNewConstMetric(c.limit, prometheus.GaugeValue, float64(s.Concurrency), s.Name)
		}
	}
}
