package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/supervisor"
)

// StageCollector reports, at scrape time, each stage's restarts and whether
// it is down, and each hop's queue depth.
type StageCollector struct {
	tree *supervisor.Tree
	hops func() []*actors.Hop

	restarts *prometheus.Desc
	down     *prometheus.Desc
	queued   *prometheus.Desc
}

// NewStageCollector returns a collector over tree's stages and the hops
// that hops returns.
func NewStageCollector(tree *supervisor.Tree, hops func() []*actors.Hop) *StageCollector {
	return &StageCollector{
		tree:     tree,
		hops:     hops,
		restarts: prometheus.NewDesc("troupe_stage_restarts_total", "Restarts of a stage's actors after a failure.", []string{"stage"}, nil),
		down:     prometheus.NewDesc("troupe_stage_down", "1 while a stage is marked down after repeated failures.", []string{"stage"}, nil),
		queued:   prometheus.NewDesc("troupe_stage_queue_depth", "Exchanges waiting in a hop's mailboxes.", []string{"hop"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *StageCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.restarts
	ch <- c.down
	ch <- c.queued
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
	for _, hop := range c.hops() {
		ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(hop.Queued()), hop.Name())
	}
}
