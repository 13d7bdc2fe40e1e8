package main

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// outcome is how one request of the open-loop generator ended.
type outcome uint8

const (
	outcomeOK       outcome = iota // a 200
	outcomeRejected                // any other HTTP answer
	outcomeTimeout                 // the client's timeout passed first
	outcomeError                   // no answer: refused, reset, …
)

// sample is one request of the open-loop generator.
type sample struct {
	Sent       time.Duration // when it was sent, since the attack began
	Latency    time.Duration // until its answer was read, or it failed
	Code       int           // the status, 0 without an answer
	RetryAfter bool          // the answer carried Retry-After
	Critical   bool          // sent to the critical route
	Outcome    outcome
}

// done returns when the request ended, since the attack began.
func (s sample) done() time.Duration { return s.Sent + s.Latency }

// loadStats is what one attack, or one class of its requests, got.
type loadStats struct {
	// Sent is how many requests the generator sent; AchievedRPS is Sent
	// over the attack's window: below the offered rate when the generator
	// could not keep up (or hit its cap on requests in flight).
	Sent        int64   `json:"sent"`
	AchievedRPS float64 `json:"achieved_rps"`
	// OK is how many were answered 200; GoodputRPS counts only those
	// answered within the window, over the window: the rate the server
	// delivered while under the offered load.
	OK         int64   `json:"ok"`
	GoodputRPS float64 `json:"goodput_rps"`
	// P50OKms and P99OKms are the latency percentiles of every 200, in
	// milliseconds.
	P50OKms float64 `json:"p50_ok_ms"`
	P99OKms float64 `json:"p99_ok_ms"`
	// Rejected is how many got another HTTP answer; their latency
	// percentiles, how many carried Retry-After, and their statuses.
	Rejected      int64            `json:"rejected"`
	P50RejectedMs float64          `json:"p50_rejected_ms"`
	P99RejectedMs float64          `json:"p99_rejected_ms"`
	RetryAfter    int64            `json:"rejected_with_retry_after"`
	Codes         map[string]int64 `json:"codes,omitempty"`
	// Timeouts hit the client's timeout; Errors got no answer otherwise.
	Timeouts int64 `json:"timeouts"`
	Errors   int64 `json:"errors"`
}

// summarize returns the stats of samples, from an attack whose window
// (how long it sent) was window.
func summarize(samples []sample, window time.Duration) loadStats {
	var st loadStats
	var ok, rej []time.Duration
	for _, s := range samples {
		st.Sent++
		switch s.Outcome {
		case outcomeOK:
			st.OK++
			ok = append(ok, s.Latency)
			if s.done() <= window {
				st.GoodputRPS++
			}
		case outcomeRejected:
			st.Rejected++
			rej = append(rej, s.Latency)
			if s.RetryAfter {
				st.RetryAfter++
			}
			if st.Codes == nil {
				st.Codes = map[string]int64{}
			}
			st.Codes[strconv.Itoa(s.Code)]++
		case outcomeTimeout:
			st.Timeouts++
		case outcomeError:
			st.Errors++
		}
	}
	if w := window.Seconds(); w > 0 {
		st.AchievedRPS = float64(st.Sent) / w
		st.GoodputRPS /= w
	} else {
		st.GoodputRPS = 0 // no window: no rate
	}
	slices.Sort(ok)
	slices.Sort(rej)
	st.P50OKms, st.P99OKms = ms(percentile(ok, 0.50)), ms(percentile(ok, 0.99))
	st.P50RejectedMs, st.P99RejectedMs = ms(percentile(rej, 0.50)), ms(percentile(rej, 0.99))
	return st
}

// successPct returns the share of the requests sent that were answered
// 200, in percent (0 if none was sent).
func (st loadStats) successPct() float64 {
	if st.Sent == 0 {
		return 0
	}
	return 100 * float64(st.OK) / float64(st.Sent)
}

// percentile returns the nearest-rank q-quantile of sorted (0 < q ≤ 1):
// the smallest value at least q of them do not exceed. It returns 0 for
// none.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// second is one second of a run, by when its requests ended.
type second struct {
	T         int     `json:"t"` // seconds since the attack began
	OK        int64   `json:"ok"`
	P99OKms   float64 `json:"p99_ok_ms"`
	Rejected  int64   `json:"rejected"`
	Timeouts  int64   `json:"timeouts"`
	Errors    int64   `json:"errors"`
	ServiceMs float64 `json:"service_ms"` // the handler's service time then
	// Limit is troupe's admission limit as last scraped in that second
	// (troupe_overload_limit{limiter="ingress"}), absent when it was not
	// on /metrics.
	Limit *float64 `json:"limit,omitempty"`
}

// perSecond returns the whole seconds of window, each with the requests
// that ended in it: their 200s (count and p99), rejections, timeouts and
// errors. Requests that ended after the window are left out.
func perSecond(samples []sample, window time.Duration) []second {
	n := int(window / time.Second)
	secs := make([]second, n)
	oks := make([][]time.Duration, n)
	for i := range secs {
		secs[i].T = i
	}
	for _, s := range samples {
		i := int(s.done() / time.Second)
		if s.done() < 0 || i >= n {
			continue
		}
		switch s.Outcome {
		case outcomeOK:
			secs[i].OK++
			oks[i] = append(oks[i], s.Latency)
		case outcomeRejected:
			secs[i].Rejected++
		case outcomeTimeout:
			secs[i].Timeouts++
		case outcomeError:
			secs[i].Errors++
		}
	}
	for i := range secs {
		slices.Sort(oks[i])
		secs[i].P99OKms = ms(percentile(oks[i], 0.99))
	}
	return secs
}

// limitSample is one scrape of troupe's admission limit.
type limitSample struct {
	At    time.Duration // since the attack began
	Value float64
}

// withLimits sets each second's Limit to the last of limits scraped in it,
// and reports whether any was.
func withLimits(secs []second, limits []limitSample) bool {
	seen := false
	for _, l := range limits {
		i := int(l.At / time.Second)
		if l.At < 0 || i >= len(secs) {
			continue
		}
		v := l.Value
		secs[i].Limit = &v
		seen = true
	}
	return seen
}

// phase is a stretch of the slow-down run: its seconds [From, To), and
// what they got.
type phase struct {
	Name      string  `json:"name"`
	From      int     `json:"from_s"`
	To        int     `json:"to_s"`
	ServiceMs float64 `json:"service_ms"`
	// GoodputRPS is the mean of its seconds' 200s; P99OKms the largest
	// of their p99s.
	OK          int64   `json:"ok"`
	GoodputRPS  float64 `json:"goodput_rps"`
	MaxP99OKms  float64 `json:"max_p99_ok_ms"`
	Rejected    int64   `json:"rejected"`
	TimeoutsErr int64   `json:"timeouts_and_errors"`
}

// phases sums secs over the slow-down's three stretches: before from,
// from to to (the slow service time), and after.
func phases(secs []second, from, to int, fast, slow time.Duration) []phase {
	ps := []phase{
		{Name: "before", From: 0, To: from, ServiceMs: ms(fast)},
		{Name: "slow", From: from, To: to, ServiceMs: ms(slow)},
		{Name: "after", From: to, To: len(secs), ServiceMs: ms(fast)},
	}
	for i := range ps {
		p := &ps[i]
		p.From, p.To = min(max(p.From, 0), len(secs)), min(max(p.To, 0), len(secs))
		for _, s := range secs[p.From:p.To] {
			p.OK += s.OK
			p.GoodputRPS += float64(s.OK)
			p.MaxP99OKms = max(p.MaxP99OKms, s.P99OKms)
			p.Rejected += s.Rejected
			p.TimeoutsErr += s.Timeouts + s.Errors
		}
		if n := p.To - p.From; n > 0 {
			p.GoodputRPS /= float64(n)
		}
	}
	return ps
}
