package batching

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/troupe-go/troupe/internal/live"
)

// LiveBatcher returns the batcher's figures for the admin listener's live
// page: its queue, its batches in flight, the histogram of its batch
// sizes, and its flushes and rejections by reason. It reads the batcher's
// Prometheus metrics, which the actor and the batches keep anyway: it
// takes no lock the batcher's callers take, and sends the actor nothing.
func (b *Batcher[In, Out]) LiveBatcher() live.Batcher {
	s := live.Batcher{
		Name:         b.cfg.Name,
		Queued:       int(gauge(b.m.queued)),
		MaxQueue:     b.cfg.MaxQueue,
		InFlight:     int(gauge(b.m.inFlight)),
		MaxInFlight:  b.cfg.MaxInFlight,
		MaxBatchSize: b.cfg.MaxBatchSize,
		Flushes:      make(map[string]uint64, numFlushReasons),
		Rejections:   make(map[string]uint64, numRejectReasons),
	}
	var m dto.Metric
	if b.m.size.Write(&m) == nil && m.Histogram != nil {
		h := m.Histogram
		s.Batches = h.GetSampleCount()
		s.Items = uint64(h.GetSampleSum())
		for _, bk := range h.Bucket {
			s.Sizes = append(s.Sizes, live.Bucket{LE: bk.GetUpperBound(), Count: bk.GetCumulativeCount()})
		}
	}
	for r := range numFlushReasons {
		s.Flushes[r.String()] = uint64(counter(b.m.flushes[r]))
	}
	for r := range numRejectReasons {
		s.Rejections[r.String()] = uint64(counter(b.m.rejections[r]))
	}
	return s
}

// gauge returns a gauge's value.
func gauge(g prometheus.Gauge) float64 {
	var m dto.Metric
	if g.Write(&m) != nil {
		return 0
	}
	return m.GetGauge().GetValue()
}

// counter returns a counter's value.
func counter(c prometheus.Counter) float64 {
	var m dto.Metric
	if c.Write(&m) != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}
