package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// The targets for troupe under overload (scenario overload).
const (
	targetGoodputShare = 0.90 // goodput at least this share of capacity, at every rate
	targetOKP99Ms      = 100  // p99 of the 200s at most this, in ms
	targetRejectP99Ms  = 5    // p99 of the rejections at most this, in ms, each with Retry-After
	targetRSSGrowth    = 2.0  // peak RSS at most this many times the figure at the lowest rate
)

// targetPeer is the peer whose figures the targets judge.
const targetPeer = peerTroupe

// capacityProbe is the closed-loop measurement of the workload's
// capacity the offered rates are multiples of.
type capacityProbe struct {
	Peer           string  `json:"peer"`
	Conns          int     `json:"conns"`
	DurationS      float64 `json:"duration_s"`
	RPS            float64 `json:"rps"`
	TheoreticalRPS float64 `json:"theoretical_rps"` // slots / service time
}

// overloadRun is one (peer, offered rate) run of the sweep.
type overloadRun struct {
	Peer       string  `json:"peer"`
	Multiple   float64 `json:"multiple"` // of capacity
	OfferedRPS float64 `json:"offered_rps"`
	loadStats
	GoodputPct float64   `json:"goodput_pct_of_capacity"`
	PeakRSSKiB int64     `json:"peak_rss_kib"`
	Targets    []verdict `json:"targets,omitempty"`
}

// priorityRun is one peer's run with a share of critical requests.
type priorityRun struct {
	Peer        string    `json:"peer"`
	Multiple    float64   `json:"multiple"`
	OfferedRPS  float64   `json:"offered_rps"`
	CriticalPct float64   `json:"critical_pct"` // of the requests sent
	Critical    loadStats `json:"critical"`
	Other       loadStats `json:"other"`
	PeakRSSKiB  int64     `json:"peak_rss_kib"`
}

// slowdownRun is one peer's run whose service time rises for its middle
// third.
type slowdownRun struct {
	Peer       string    `json:"peer"`
	Multiple   float64   `json:"multiple"`
	OfferedRPS float64   `json:"offered_rps"`
	SlowFromS  int       `json:"slow_from_s"`
	SlowToS    int       `json:"slow_to_s"`
	Total      loadStats `json:"total"`
	Phases     []phase   `json:"phases"`
	Seconds    []second  `json:"seconds"`
	// LimitSeen says whether troupe's admission limit was on /metrics.
	LimitSeen  bool  `json:"limit_seen"`
	PeakRSSKiB int64 `json:"peak_rss_kib"`
}

// overloadReport is the whole overload run, as written to -out.
type overloadReport struct {
	Date           string         `json:"date"`
	Machine        machine        `json:"machine"`
	Command        string         `json:"command"`
	Generator      string         `json:"generator"`
	ClientTimeoutS float64        `json:"client_timeout_s"`
	MaxInFlight    int            `json:"generator_max_in_flight"`
	DurationS      float64        `json:"run_s"`
	Capacity       capacityProbe  `json:"capacity"`
	Runs           []*overloadRun `json:"runs"`
	Priorities     []*priorityRun `json:"priorities,omitempty"`
	Slowdown       []*slowdownRun `json:"slowdown,omitempty"`
}

// judge sets the targets' verdicts on peer's runs: goodput, p99 of the
// 200s, rejections, and peak RSS against its run at the lowest rate.
func (rep *overloadReport) judge(peer string) {
	var base *overloadRun
	for _, r := range rep.Runs {
		if r.Peer == peer && (base == nil || r.Multiple < base.Multiple) {
			base = r
		}
	}
	capacity := rep.Capacity.RPS
	for _, r := range rep.Runs {
		if r.Peer != peer {
			continue
		}
		rej := verdict{Target: fmt.Sprintf("rejections p99 ≤ %dms, each with Retry-After", targetRejectP99Ms)}
		rej.Met = r.Rejected == 0 || (r.P99RejectedMs <= targetRejectP99Ms && r.RetryAfter == r.Rejected)
		r.Targets = []verdict{
			{
				Target: fmt.Sprintf("goodput ≥ %.0f%% of capacity (of the offered load, below capacity)", 100*targetGoodputShare),
				Met:    r.GoodputRPS >= targetGoodputShare*min(r.OfferedRPS, capacity),
			},
			{Target: fmt.Sprintf("p99 of 200s ≤ %dms", targetOKP99Ms), Met: r.OK > 0 && r.P99OKms <= targetOKP99Ms},
			rej,
			{
				Target: fmt.Sprintf("peak RSS ≤ %g× that at %g×", targetRSSGrowth, base.Multiple),
				Met:    r.PeakRSSKiB > 0 && base.PeakRSSKiB > 0 && float64(r.PeakRSSKiB) <= targetRSSGrowth*float64(base.PeakRSSKiB),
			},
		}
	}
}

// shortTargets names rep's targets as the table's last column does.
var shortTargets = []string{"goodput", "p99", "rejections", "RSS"}

// print writes rep's tables, in Markdown.
func (rep *overloadReport) print(w io.Writer) {
	fmt.Fprintf(w, "Offered load (open loop, %s, client timeout %gs); capacity %s req/s (closed-loop probe); latencies of 200s and of rejections (any other status); goodput = 200s answered within the %gs window, per second\n\n",
		rep.Generator, rep.ClientTimeoutS, thousands(rep.Capacity.RPS), rep.DurationS)
	fmt.Fprintln(w, "| peer | load | offered/s | achieved/s | goodput/s | % cap | p50 200 | p99 200 | rejected | rej p50 | rej p99 | Retry-After | codes | timeouts | errors | peak RSS | targets ("+targetPeer+") |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|---|")
	for _, r := range rep.Runs {
		fmt.Fprintf(w, "| %s | %g× | %s | %s | %s | %.0f%% | %s | %s | %d | %s | %s | %s | %s | %d | %d | %s | %s |\n",
			r.Peer, r.Multiple, thousands(r.OfferedRPS), thousands(r.AchievedRPS), thousands(r.GoodputRPS), r.GoodputPct,
			msOrDash(r.P50OKms, r.OK), msOrDash(r.P99OKms, r.OK), r.Rejected, msOrDash(r.P50RejectedMs, r.Rejected), msOrDash(r.P99RejectedMs, r.Rejected),
			retryAfterShare(r.loadStats), codes(r.Codes), r.Timeouts, r.Errors, mib(r.PeakRSSKiB), verdicts(r.Targets))
	}
	if len(rep.Runs) > 0 {
		fmt.Fprintln(w, "\nTargets:")
		var base float64
		for _, r := range rep.Runs {
			if r.Peer == targetPeer && (base == 0 || r.Multiple < base) {
				base = r.Multiple
			}
		}
		fmt.Fprintf(w, "- goodput ≥ %.0f%% of capacity at every rate (of the offered load where that is below capacity); p99 of 200s ≤ %dms; rejections p99 ≤ %dms, each with Retry-After; peak RSS ≤ %g× the figure at %g×\n",
			100*targetGoodputShare, targetOKP99Ms, targetRejectP99Ms, targetRSSGrowth, base)
	}
	if len(rep.Priorities) > 0 {
		fmt.Fprintln(w, "\nPriorities: every 10th request to "+priorityCriticalLabel+", the rest to "+priorityOtherLabel+" (the same handler and slots)")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| peer | load | offered/s | achieved/s | class | sent | 200s | success | p99 200 | rejected | rej p99 | timeouts | errors |")
		fmt.Fprintln(w, "|---|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|")
		for _, p := range rep.Priorities {
			for _, c := range []struct {
				name string
				st   loadStats
			}{{priorityCriticalLabel, p.Critical}, {priorityOtherLabel, p.Other}} {
				fmt.Fprintf(w, "| %s | %g× | %s | %s | %s | %d | %d | %.1f%% | %s | %d | %s | %d | %d |\n",
					p.Peer, p.Multiple, thousands(p.OfferedRPS), thousands(p.Critical.AchievedRPS+p.Other.AchievedRPS), c.name, c.st.Sent, c.st.OK, c.st.successPct(), msOrDash(c.st.P99OKms, c.st.OK),
					c.st.Rejected, msOrDash(c.st.P99RejectedMs, c.st.Rejected), c.st.Timeouts, c.st.Errors)
			}
		}
	}
	if len(rep.Slowdown) > 0 {
		fmt.Fprintln(w, "\nSlow-down: the service time per phase; goodput = mean 200s per second; p99 = the worst second's p99 of 200s")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| peer | load | phase | seconds | service | goodput/s | worst p99 200 | rejected | timeouts+errors | limit |")
		fmt.Fprintln(w, "|---|--:|---|---|--:|--:|--:|--:|--:|---|")
		for _, s := range rep.Slowdown {
			for _, ph := range s.Phases {
				fmt.Fprintf(w, "| %s | %g× | %s | %d–%d | %gms | %s | %s | %d | %d | %s |\n",
					s.Peer, s.Multiple, ph.Name, ph.From, ph.To, ph.ServiceMs, thousands(ph.GoodputRPS), msOrDash(ph.MaxP99OKms, ph.OK),
					ph.Rejected, ph.TimeoutsErr, limitRange(s.Seconds[ph.From:ph.To], s.LimitSeen))
			}
		}
	}
}

// The priorities table's classes.
const (
	priorityCriticalLabel = "critical"
	priorityOtherLabel    = "other"
)

func msOrDash(v float64, n int64) string {
	if n == 0 {
		return "-"
	}
	return fmtDur(v * 1000)
}

func retryAfterShare(st loadStats) string {
	if st.Rejected == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(st.RetryAfter)/float64(st.Rejected))
}

// codes renders the rejections' statuses: "503×120 504×3".
func codes(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s×%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func mib(kib int64) string {
	if kib <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

// verdicts renders a run's verdicts as "goodput met, p99 MISSED, …".
func verdicts(vs []verdict) string {
	if len(vs) == 0 {
		return ""
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		name := v.Target
		if i < len(shortTargets) {
			name = shortTargets[i]
		}
		parts[i] = name + " " + verdictWord(v.Met)
	}
	return strings.Join(parts, ", ")
}

// limitRange renders the range of troupe's admission limit over secs, or
// says it was not on /metrics.
func limitRange(secs []second, seen bool) string {
	if !seen {
		return "not on /metrics"
	}
	lo, hi, found := 0.0, 0.0, false
	for _, s := range secs {
		if s.Limit == nil {
			continue
		}
		if !found {
			lo, hi, found = *s.Limit, *s.Limit, true
		}
		lo, hi = min(lo, *s.Limit), max(hi, *s.Limit)
	}
	if !found {
		return "-"
	}
	return fmt.Sprintf("%g–%g", lo, hi)
}

// writeJSON writes the report to path.
func (rep *overloadReport) writeJSON(path string) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
