package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The targets for troupe at 5 stages, relative to plain net/http.
const (
	targetThroughput = 0.80 // troupe/plain req/s at least this
	targetP99        = 1.5  // troupe/plain p99 at most this
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
	Served       int64   `json:"served"`         // requests the server's Count stage saw
	Non2xx       int64   `json:"non_2xx"`
	SocketErrors int64   `json:"socket_errors"`
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
// rounds, and the medians of the per-round paired ratios troupe/plain.
type summary struct {
	Conns  int                `json:"conns"`
	Peers  map[string]medians `json:"peers"`
	Ratios ratios             `json:"troupe_over_plain"`
}

type medians struct {
	RPS         float64 `json:"rps"`
	P50us       float64 `json:"p50_us"`
	P99us       float64 `json:"p99_us"`
	CPUPerReqUs float64 `json:"cpu_us_per_req"`
}

// ratios holds the median of each round's troupe/plain ratio (round i of
// troupe over round i of plain, run back to back), and each round's own.
type ratios struct {
	medians
	PerRound []medians `json:"per_round"`
}

// report is the whole run, as written by -json.
type report struct {
	Date      string     `json:"date"`
	Machine   machine    `json:"machine"`
	Command   string     `json:"command"`
	Scenario  string     `json:"scenario"`
	Stages    int        `json:"stages,omitempty"` // scenario trivial only
	Threads   int        `json:"wrk_threads"`
	DurationS float64    `json:"round_s"`
	Rounds    int        `json:"rounds"`
	Runs      []*round   `json:"runs"`
	Summaries []*summary `json:"summaries"`
	// targets: judge the targets (they are set for the trivial
	// scenario at 5 stages).
	targets bool
}

func (rep *report) summarize(conns []int) {
	for _, n := range conns {
		s := &summary{Conns: n, Peers: map[string]medians{}}
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
			s.Peers[name] = medians{
				RPS:         median(rs, func(r *round) float64 { return r.RPS }),
				P50us:       median(rs, func(r *round) float64 { return r.P50us }),
				P99us:       median(rs, func(r *round) float64 { return r.P99us }),
				CPUPerReqUs: median(rs, func(r *round) float64 { return r.CPUPerReqUs }),
			}
		}
		plain, tr := byPeer["plain"], byPeer["troupe"]
		for i := range min(len(plain), len(tr)) {
			p, t := plain[i], tr[i]
			s.Ratios.PerRound = append(s.Ratios.PerRound, medians{
				RPS: t.RPS / p.RPS, P50us: t.P50us / p.P50us, P99us: t.P99us / p.P99us, CPUPerReqUs: t.CPUPerReqUs / p.CPUPerReqUs,
			})
		}
		if pr := s.Ratios.PerRound; len(pr) > 0 {
			s.Ratios.medians = medians{
				RPS:         median(pr, func(m medians) float64 { return m.RPS }),
				P50us:       median(pr, func(m medians) float64 { return m.P50us }),
				P99us:       median(pr, func(m medians) float64 { return m.P99us }),
				CPUPerReqUs: median(pr, func(m medians) float64 { return m.CPUPerReqUs }),
			}
		}
		rep.Summaries = append(rep.Summaries, s)
	}
}

func (rep *report) print(w io.Writer) {
	fmt.Fprintf(w, "Medians over %d rounds of %gs each (ratios: median of the per-round paired ratios troupe/plain)\n", rep.Rounds, rep.DurationS)
	fmt.Fprintf(w, "%5s  %-13s %10s %9s %9s %11s\n", "conns", "peer", "req/s", "p50", "p99", "CPU µs/req")
	for _, s := range rep.Summaries {
		for _, name := range []string{"plain", "troupe"} {
			m, ok := s.Peers[name]
			if !ok {
				continue
			}
			fmt.Fprintf(w, "%5d  %-13s %10s %9s %9s %11.2f\n", s.Conns, name, thousands(m.RPS), fmtDur(m.P50us), fmtDur(m.P99us), m.CPUPerReqUs)
		}
		r := s.Ratios
		if len(r.PerRound) == 0 {
			continue
		}
		fmt.Fprintf(w, "%5d  %-13s %10.2f %9.2f %9.2f %11.2f", s.Conns, "troupe/plain", r.RPS, r.P50us, r.P99us, r.CPUPerReqUs)
		if rep.targets {
			fmt.Fprintf(w, "   throughput ≥ %.2f: %s; p99 ≤ %.1f×: %s",
				targetThroughput, verdict(r.RPS >= targetThroughput), targetP99, verdict(r.P99us <= targetP99))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\nPer-round ratios troupe/plain (throughput | p99 | CPU per request):")
	for _, s := range rep.Summaries {
		var tp, p99, cpu []string
		for _, m := range s.Ratios.PerRound {
			tp = append(tp, fmt.Sprintf("%.2f", m.RPS))
			p99 = append(p99, fmt.Sprintf("%.2f", m.P99us))
			cpu = append(cpu, fmt.Sprintf("%.2f", m.CPUPerReqUs))
		}
		fmt.Fprintf(w, "  c=%-4d %s | %s | %s\n", s.Conns, strings.Join(tp, " "), strings.Join(p99, " "), strings.Join(cpu, " "))
	}
}

func verdict(ok bool) string {
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
