package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The targets for troupe at 5 stages, relative to plain net/http
// (scenario trivial).
const (
	targetThroughput = 0.80 // troupe/plain req/s at least this
	targetP99        = 1.5  // troupe/plain p99 at most this

	// The path users write (scenario taught) must be as good as the best
	// case: the goals are tighter.
	targetTaughtThroughput = 0.90 // taught/plain req/s at least this
	targetTaughtP99        = 1.3  // taught/plain p99 at most this
)

// round is one measured wrk run against one peer.
type round struct {
	Conns        int     `json:"conns"`
	Round        int     `json:"round"`
	Peer         string  `json:"peer"`
	Requests     int64   `json:"requests"`  // completed, as wrk reports them
	ElapsedS     float64 `json:"elapsed_s"` // wrk's own measured duration
	RPS          float64 `json:"rps"`
	P50us        float64 `json:"p50_us"`
	P99us        float64 `json:"p99_us"`
	CPUSeconds   float64 `json:"cpu_s"`          // this process's user+sys during the run
	CPUPerReqUs  float64 `json:"cpu_us_per_req"` // CPUSeconds / Requests
	Served       int64   `json:"served"`         // requests the server counted (see namedPeer.hitsPerRequest)
	Non2xx       int64   `json:"non_2xx"`
	SocketErrors int64   `json:"socket_errors"`
	// ModelCalls and ModelItems are the calls the peer's model ran during
	// the round and the items they held (scenario batch).
	ModelCalls int64 `json:"model_calls,omitempty"`
	ModelItems int64 `json:"model_items,omitempty"`
}

func (r *round) warnings() string {
	var w []string
	if r.Non2xx > 0 {
		w = append(w, fmt.Sprintf("%d non-2xx", r.Non2xx))
	}
	if r.SocketErrors > 0 {
		w = append(w, fmt.Sprintf("%d socket errors", r.SocketErrors))
	}
	if len(w) == 0 {
		return ""
	}
	return "  !! " + strings.Join(w, ", ")
}

// summary is one connection count's result: each peer's medians over its
// rounds, and the medians of the per-round paired ratios.
type summary struct {
	Conns  int                    `json:"conns"`
	Peers  map[string]peerSummary `json:"peers"`
	Ratios []*ratios              `json:"ratios"`
	// Targets are the verdicts on peers' own figures (peerTarget).
	Targets []verdict `json:"targets,omitempty"`
}

type medians struct {
	RPS         float64 `json:"rps"`
	P50us       float64 `json:"p50_us"`
	P99us       float64 `json:"p99_us"`
	CPUPerReqUs float64 `json:"cpu_us_per_req"`
}

// peerSummary is one peer's result at one connection count: the medians
// of its rounds, and the sums of its errors and model counters over them.
type peerSummary struct {
	medians
	Rounds       int   `json:"rounds"`
	Non2xx       int64 `json:"non_2xx"`
	SocketErrors int64 `json:"socket_errors"`
	ModelCalls   int64 `json:"model_calls,omitempty"`
	ModelItems   int64 `json:"model_items,omitempty"`
}

// itemsPerCall returns the mean batch size over the rounds, or 0 if the
// peer's model ran no call (or it has none).
func (p peerSummary) itemsPerCall() float64 {
	if p.ModelCalls == 0 {
		return 0
	}
	return float64(p.ModelItems) / float64(p.ModelCalls)
}

// ratios holds, for one comparison num/den, the median of each round's
// ratio (round i of num over round i of den, run in the same cycle of the
// interleaved rounds), each round's own, and the verdicts on its targets.
type ratios struct {
	Name string `json:"name"` // "num/den"
	medians
	PerRound []medians `json:"per_round"`
	Targets  []verdict `json:"targets,omitempty"`
}

// verdict is a target and whether it was met.
type verdict struct {
	Target string `json:"target"`
	Met    bool   `json:"met"`
}

func (v verdict) String() string { return v.Target + ": " + verdictWord(v.Met) }

// comparison is a ratio to report, num's figures over den's (peer names),
// with the targets for it.
type comparison struct {
	num, den string
	targets  []target
}

func (c comparison) name() string { return c.num + "/" + c.den }

// target is a bound on a ratio's medians, judged at one connection count
// (or at every one: conns 0).
type target struct {
	conns int
	name  string // as printed: "throughput ≥ 0.80"
	met   func(medians) bool
}

// peerTarget is a bound on one peer's own medians at one connection count
// (or at every one: conns 0).
type peerTarget struct {
	peer  string
	conns int
	name  string
	met   func(medians) bool
}

// report is the whole run, as written by -json.
type report struct {
	Date      string     `json:"date"`
	Machine   machine    `json:"machine"`
	Command   string     `json:"command"`
	Scenario  string     `json:"scenario"`
	Stages    int        `json:"stages,omitempty"` // scenarios trivial and batch only
	Threads   int        `json:"wrk_threads"`
	DurationS float64    `json:"round_s"`
	Rounds    int        `json:"rounds"`
	Runs      []*round   `json:"runs"`
	Summaries []*summary `json:"summaries"`

	// From the scenario: its peers in order, what a request is ("req",
	// "item"), the ratios to report and the targets to judge.
	peers       []string
	unit        string
	comparisons []comparison
	peerTargets []peerTarget
}

func (rep *report) summarize(conns []int) {
	for _, n := range conns {
		s := &summary{Conns: n, Peers: map[string]peerSummary{}}
		byPeer := map[string][]*round{}
		for _, r := range rep.Runs {
			if r.Conns == n {
				byPeer[r.Peer] = append(byPeer[r.Peer], r)
			}
		}
		if len(byPeer) == 0 {
			continue
		}
		for name, rs := range byPeer {
			ps := peerSummary{medians: medianOf(rs, func(r *round) medians {
				return medians{RPS: r.RPS, P50us: r.P50us, P99us: r.P99us, CPUPerReqUs: r.CPUPerReqUs}
			}), Rounds: len(rs)}
			for _, r := range rs {
				ps.Non2xx += r.Non2xx
				ps.SocketErrors += r.SocketErrors
				ps.ModelCalls += r.ModelCalls
				ps.ModelItems += r.ModelItems
			}
			s.Peers[name] = ps
		}
		for _, c := range rep.comparisons {
			num, den := byPeer[c.num], byPeer[c.den]
			if len(num) == 0 || len(den) == 0 {
				continue
			}
			r := &ratios{Name: c.name()}
			for i := range min(len(num), len(den)) {
				t, p := num[i], den[i]
				r.PerRound = append(r.PerRound, medians{
					RPS: t.RPS / p.RPS, P50us: t.P50us / p.P50us, P99us: t.P99us / p.P99us, CPUPerReqUs: t.CPUPerReqUs / p.CPUPerReqUs,
				})
			}
			r.medians = medianOf(r.PerRound, func(m medians) medians { return m })
			for _, t := range c.targets {
				if t.conns == 0 || t.conns == n {
					r.Targets = append(r.Targets, verdict{Target: t.name, Met: t.met(r.medians)})
				}
			}
			s.Ratios = append(s.Ratios, r)
		}
		for _, t := range rep.peerTargets {
			if ps, ok := s.Peers[t.peer]; ok && (t.conns == 0 || t.conns == n) {
				s.Targets = append(s.Targets, verdict{Target: t.peer + " " + t.name, Met: t.met(ps.medians)})
			}
		}
		rep.Summaries = append(rep.Summaries, s)
	}
}

// medianOf returns the median of each of f's figures over xs.
func medianOf[T any](xs []T, f func(T) medians) medians {
	return medians{
		RPS:         median(xs, func(x T) float64 { return f(x).RPS }),
		P50us:       median(xs, func(x T) float64 { return f(x).P50us }),
		P99us:       median(xs, func(x T) float64 { return f(x).P99us }),
		CPUPerReqUs: median(xs, func(x T) float64 { return f(x).CPUPerReqUs }),
	}
}

// hasModel reports whether any peer's model ran a call: then the table
// shows items per call.
func (rep *report) hasModel() bool {
	for _, r := range rep.Runs {
		if r.ModelCalls > 0 {
			return true
		}
	}
	return false
}

func (rep *report) print(w io.Writer) {
	nameWidth := len("peer")
	for _, p := range rep.peers {
		nameWidth = max(nameWidth, len(p))
	}
	for _, c := range rep.comparisons {
		nameWidth = max(nameWidth, len(c.name()))
	}
	model := rep.hasModel()
	fmt.Fprintf(w, "Medians over %d rounds of %gs each (ratios: median of the per-round paired ratios; non-2xx and socket errors: summed over the rounds)\n", rep.Rounds, rep.DurationS)
	rate := "req/s"
	if rep.unit == "item" {
		rate = "items/s"
	}
	fmt.Fprintf(w, "%5s  %-*s %10s %9s %9s %12s", "conns", nameWidth, "peer", rate, "p50", "p99", "CPU µs/"+rep.unit)
	if model {
		fmt.Fprintf(w, " %11s", "items/call")
	}
	fmt.Fprintf(w, " %8s %9s\n", "non-2xx", "sock-err")
	for _, s := range rep.Summaries {
		for _, name := range rep.peers {
			m, ok := s.Peers[name]
			if !ok {
				continue
			}
			fmt.Fprintf(w, "%5d  %-*s %10s %9s %9s %12.2f", s.Conns, nameWidth, name, thousands(m.RPS), fmtDur(m.P50us), fmtDur(m.P99us), m.CPUPerReqUs)
			if model {
				if b := m.itemsPerCall(); b > 0 {
					fmt.Fprintf(w, " %11.2f", b)
				} else {
					fmt.Fprintf(w, " %11s", "-")
				}
			}
			fmt.Fprintf(w, " %8d %9d", m.Non2xx, m.SocketErrors)
			for _, v := range s.Targets {
				if strings.HasPrefix(v.Target, name+" ") {
					fmt.Fprintf(w, "   %s", strings.TrimPrefix(v.String(), name+" "))
				}
			}
			fmt.Fprintln(w)
		}
		for _, r := range s.Ratios {
			fmt.Fprintf(w, "%5d  %-*s %10.2f %9.2f %9.2f %12.2f", s.Conns, nameWidth, r.Name, r.RPS, r.P50us, r.P99us, r.CPUPerReqUs)
			if len(r.Targets) > 0 {
				vs := make([]string, len(r.Targets))
				for i, v := range r.Targets {
					vs[i] = v.String()
				}
				fmt.Fprintf(w, "   %s", strings.Join(vs, "; "))
			}
			fmt.Fprintln(w)
		}
	}
	for _, c := range rep.comparisons {
		fmt.Fprintf(w, "\nPer-round ratios %s (throughput | p99 | CPU per %s):\n", c.name(), rep.unit)
		for _, s := range rep.Summaries {
			for _, r := range s.Ratios {
				if r.Name != c.name() {
					continue
				}
				var tp, p99, cpu []string
				for _, m := range r.PerRound {
					tp = append(tp, fmt.Sprintf("%.2f", m.RPS))
					p99 = append(p99, fmt.Sprintf("%.2f", m.P99us))
					cpu = append(cpu, fmt.Sprintf("%.2f", m.CPUPerReqUs))
				}
				fmt.Fprintf(w, "  c=%-4d %s | %s | %s\n", s.Conns, strings.Join(tp, " "), strings.Join(p99, " "), strings.Join(cpu, " "))
			}
		}
	}
}

func verdictWord(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// median returns the median of f over xs (the mean of the middle two for
// an even count).
func median[T any](xs []T, f func(T) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// fmtDur renders microseconds the way wrk does: µs below 1 ms, ms below 1 s.
func fmtDur(usec float64) string {
	switch {
	case usec < 1000:
		return fmt.Sprintf("%.0fµs", usec)
	case usec < 1e6:
		return fmt.Sprintf("%.2fms", usec/1e3)
	default:
		return fmt.Sprintf("%.2fs", usec/1e6)
	}
}

// thousands renders v rounded, with thin separators: 55,123.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
