package main

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The plots' files in -out.
const (
	plotGoodputFile  = "goodput.png"
	plotP99File      = "p99.png"
	plotSlowdownFile = "slowdown.png"
)

// peerStyle gives each peer the same colour and glyph in every plot.
func peerStyle(peer string) (color.Color, draw.GlyphDrawer) {
	i := 0
	for j, p := range overloadPeers {
		if p == peer {
			i = j
		}
	}
	return plotutil.Color(i), plotutil.Shape(i)
}

// writePlots writes rep's plots into dir and returns their paths: goodput
// and p99 of 200s against the offered load, if rep has runs, and the
// slow-down run over time, if it has one.
func writePlots(rep *overloadReport, dir string) ([]string, error) {
	var paths []string
	if len(rep.Runs) > 0 {
		p, err := goodputPlot(rep)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, plotGoodputFile)
		if err := p.Save(18*vg.Centimeter, 12*vg.Centimeter, path); err != nil {
			return nil, err
		}
		paths = append(paths, path)
		if p, err = p99Plot(rep); err != nil {
			return nil, err
		}
		path = filepath.Join(dir, plotP99File)
		if err := p.Save(18*vg.Centimeter, 12*vg.Centimeter, path); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	if len(rep.Slowdown) > 0 {
		path := filepath.Join(dir, plotSlowdownFile)
		if err := writeSlowdownPlot(rep, path); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// peersOf returns the peers of runs, in overloadPeers' order.
func peersOf(runs []*overloadRun) []string {
	var out []string
	for _, p := range overloadPeers {
		for _, r := range runs {
			if r.Peer == p {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// addPeerLine adds a line with points for peer to p.
func addPeerLine(p *plot.Plot, peer string, xys plotter.XYs) error {
	if len(xys) == 0 {
		return nil
	}
	l, s, err := plotter.NewLinePoints(xys)
	if err != nil {
		return fmt.Errorf("%s: %w", peer, err)
	}
	c, g := peerStyle(peer)
	l.Color, s.Color, s.Shape = c, c, g
	l.Width = vg.Points(1.5)
	p.Add(l, s)
	p.Legend.Add(peer, l, s)
	return nil
}

// goodputPlot is goodput (200s per second) against the offered load, one
// line per peer, with the capacity and the target drawn across.
func goodputPlot(rep *overloadReport) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Goodput under offered load (capacity %s req/s, %gs per run)", thousands(rep.Capacity.RPS), rep.DurationS)
	p.X.Label.Text = "offered load (× capacity)"
	p.Y.Label.Text = "goodput (200s per second)"
	p.Legend.Top, p.Legend.Left = false, false
	p.Add(plotter.NewGrid())
	maxX := 0.0
	for _, peer := range peersOf(rep.Runs) {
		var xys plotter.XYs
		for _, r := range rep.Runs {
			if r.Peer == peer {
				xys = append(xys, plotter.XY{X: r.Multiple, Y: r.GoodputRPS})
				maxX = max(maxX, r.Multiple)
			}
		}
		if err := addPeerLine(p, peer, xys); err != nil {
			return nil, err
		}
	}
	// The best a server can do, min(offered, capacity), and the target,
	// 90% of it.
	c := rep.Capacity.RPS
	for _, h := range []struct {
		name  string
		share float64
		dash  bool
	}{
		{"min(offered, capacity)", 1, false},
		{fmt.Sprintf("target (%.0f%% of that)", 100*targetGoodputShare), targetGoodputShare, true},
	} {
		xys := plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: h.share * c}, {X: max(maxX, 1), Y: h.share * c}}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.Color = color.Gray{Y: 120}
		if h.dash {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(h.name, l)
	}
	p.X.Min, p.Y.Min = 0, 0
	p.Y.Max = max(p.Y.Max, 1.1*c)
	p.Y.Tick.Marker = wholeTicks{}
	return p, nil
}

// p99Plot is the p99 latency of the 200s against the offered load, one
// line per peer, on a log scale, with the target drawn across.
func p99Plot(rep *overloadReport) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("p99 latency of 200s under offered load (client timeout %gs)", rep.ClientTimeoutS)
	p.X.Label.Text = "offered load (× capacity)"
	p.Y.Label.Text = "p99 of 200s (ms, log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks125{}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	maxX := 0.0
	for _, peer := range peersOf(rep.Runs) {
		var xys plotter.XYs
		for _, r := range rep.Runs {
			if r.Peer == peer && r.OK > 0 && r.P99OKms > 0 {
				xys = append(xys, plotter.XY{X: r.Multiple, Y: r.P99OKms})
				maxX = max(maxX, r.Multiple)
			}
		}
		if err := addPeerLine(p, peer, xys); err != nil {
			return nil, err
		}
	}
	l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: targetOKP99Ms}, {X: max(maxX, 1), Y: targetOKP99Ms}})
	if err != nil {
		return nil, err
	}
	l.Color, l.Dashes = color.Gray{Y: 120}, []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(l)
	p.Legend.Add(fmt.Sprintf("target (%d ms)", targetOKP99Ms), l)
	p.X.Min = 0
	p.Y.Min = min(p.Y.Min, 1)
	return p, nil
}

// writeSlowdownPlot draws the slow-down runs over time into path: p99 of
// 200s, goodput, and troupe's admission limit when it was on /metrics,
// stacked, with the slow third marked.
func writeSlowdownPlot(rep *overloadReport, path string) error {
	runs := rep.Slowdown
	first := runs[0]
	from, to := float64(first.SlowFromS), float64(first.SlowToS)
	limitSeen := false
	for _, s := range runs {
		limitSeen = limitSeen || s.LimitSeen
	}

	p99 := plot.New()
	p99.Title.Text = fmt.Sprintf("Slow-down at %s req/s (%g× capacity): service time 20 ms → 200 ms from %gs to %gs",
		thousands(first.OfferedRPS), first.Multiple, from, to)
	p99.Y.Label.Text = "p99 of 200s (ms, log)"
	p99.Y.Scale = plot.LogScale{}
	p99.Y.Tick.Marker = logTicks125{}
	good := plot.New()
	good.Y.Label.Text = "goodput (200s/s)"
	panels := []*plot.Plot{p99, good}
	var limit *plot.Plot
	if limitSeen {
		limit = plot.New()
		limit.Y.Label.Text = "troupe admission limit"
		panels = append(panels, limit)
	} else {
		good.Title.Text = limitMetric + " not on /metrics: no limit to plot"
	}
	for _, pl := range panels {
		pl.Add(plotter.NewGrid())
		pl.Legend.Top = true
		pl.Legend.XOffs = -3 * vg.Millimeter
		pl.X.Min = 0
	}
	panels[len(panels)-1].X.Label.Text = "time since the load began (s)"

	for _, s := range runs {
		var lat, ok, lim plotter.XYs
		for _, sec := range s.Seconds {
			x := float64(sec.T) + 0.5
			ok = append(ok, plotter.XY{X: x, Y: float64(sec.OK)})
			if sec.OK > 0 && sec.P99OKms > 0 {
				lat = append(lat, plotter.XY{X: x, Y: sec.P99OKms})
			}
			if sec.Limit != nil {
				lim = append(lim, plotter.XY{X: x, Y: *sec.Limit})
			}
		}
		if err := addPeerLine(p99, s.Peer, lat); err != nil {
			return err
		}
		if err := addPeerLine(good, s.Peer, ok); err != nil {
			return err
		}
		if limit != nil {
			if err := addPeerLine(limit, s.Peer, lim); err != nil {
				return err
			}
		}
	}
	// Room above the data for the legend, top right; the x axis spans the
	// whole run.
	good.Y.Min, good.Y.Max = 0, 1.3*good.Y.Max
	good.Y.Tick.Marker = wholeTicks{}
	if p99.Y.Max > 0 && !math.IsInf(p99.Y.Max, 0) {
		p99.Y.Max *= 4
	}
	if limit != nil {
		limit.Y.Min, limit.Y.Max = 0, 1.3*limit.Y.Max
	}
	for _, pl := range panels {
		pl.X.Max = max(pl.X.Max, float64(len(first.Seconds)))
	}
	for _, pl := range panels {
		if err := markSpan(pl, from, to); err != nil {
			return err
		}
	}

	const width, rowHeight = 20 * vg.Centimeter, 8 * vg.Centimeter
	img := vgimg.New(width, rowHeight*vg.Length(len(panels)))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadX: vg.Millimeter, PadY: 2 * vg.Millimeter, PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter}
	grid := make([][]*plot.Plot, len(panels))
	for i, pl := range panels {
		grid[i] = []*plot.Plot{pl}
	}
	canvases := plot.Align(grid, tiles, dc)
	for i, pl := range panels {
		pl.Draw(canvases[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(f)
	return errors.Join(err, f.Close())
}

// wholeTicks are gonum's default ticks, labelled without decimals.
type wholeTicks struct{}

// Ticks returns the default ticks of [lo, hi], their labels rounded.
func (wholeTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', 0, 64)
		}
	}
	return ts
}

// logTicks125 are ticks for a log scale at 1, 2 and 5 times each power
// of ten, labelled, and the other multiples unlabelled: a range of less
// than a decade still has labels.
type logTicks125 struct{}

// Ticks returns the ticks of [lo, hi].
func (logTicks125) Ticks(lo, hi float64) []plot.Tick {
	if hi <= 0 {
		return nil
	}
	if lo <= 0 {
		lo = hi / 1000
	}
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		for m := 1.0; m <= 9; m++ {
			v := m * math.Pow(10, e)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'f', -1, 64)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// markSpan draws dashed vertical lines at x = from and x = to across pl's
// data, so the slow third shows.
func markSpan(pl *plot.Plot, from, to float64) error {
	lo, hi := pl.Y.Min, pl.Y.Max
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) || lo >= hi {
		return nil // no data
	}
	if _, ok := pl.Y.Scale.(plot.LogScale); ok && lo <= 0 {
		lo = 1e-3
	}
	for _, x := range []float64{from, to} {
		l, err := plotter.NewLine(plotter.XYs{{X: x, Y: lo}, {X: x, Y: hi}})
		if err != nil {
			return err
		}
		l.Color, l.Dashes = color.Gray{Y: 100}, []vg.Length{vg.Points(3), vg.Points(3)}
		pl.Add(l)
	}
	return nil
}
