package overload

import "math"

// The limit algorithms the simulation compares the chosen one with
// (sim_compare_test.go). Each follows its library's published defaults.

// gradient2 is Netflix concurrency-limits' Gradient2Limit: the baseline is
// a long exponential average of the window RTTs (600 windows), not a
// measured minimum; the limit scales by 1.5·long/short, clamped to
// [0.5, 1], plus a queue allowance of 4.
type gradient2 struct {
	long float64
	n    int
}

func (g *gradient2) next(cur float64, s sample) float64 {
	short := s.rtt
	g.n++
	if g.n <= 10 {
		g.long += (short - g.long) / float64(g.n)
	} else {
		g.long += (short - g.long) * 2 / 601
	}
	if g.long/short > 2 {
		g.long *= 0.95
	}
	if float64(s.maxInflight) < cur/2 {
		return cur
	}
	grad := max(0.5, min(1, 1.5*g.long/short))
	return cur*grad + 4
}

// vegas is Netflix concurrency-limits' VegasLimit: the queue in the
// backend is estimated as limit·(1 − minRTT/rtt); under α = 3·log10(limit)
// the limit grows by log10(limit), over β = 6·log10(limit) it shrinks by
// as much.
type vegas struct{}

func (vegas) next(cur float64, s sample) float64 {
	lg := math.Max(1, math.Log10(cur))
	if s.drops > 0 {
		return cur - lg
	}
	if float64(s.maxInflight)*2 < cur {
		return cur
	}
	queue := math.Ceil(cur * (1 - s.minRTT/s.rtt))
	switch {
	case queue <= lg:
		return cur + 6*lg
	case queue < 3*lg:
		return cur + lg
	case queue > 6*lg:
		return cur - lg
	}
	return cur
}

// aimd is Netflix concurrency-limits' AIMDLimit: +1 per window, ×0.9 on a
// drop or an RTT over its timeout (5 s by default). It does not look at
// latency otherwise.
type aimd struct{}

func (aimd) next(cur float64, s sample) float64 {
	if s.drops > 0 || s.rtt > 5e9 {
		return cur * 0.9
	}
	if float64(s.maxInflight)*2 < cur {
		return cur
	}
	return cur + 1
}
