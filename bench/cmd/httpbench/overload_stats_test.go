package main

import (
	"testing"
	"time"
)

func okAt(sent, lat time.Duration) sample {
	return sample{Sent: sent, Latency: lat, Code: 200, Outcome: outcomeOK}
}

// TestSummarize checks one attack's figures: what was sent and answered,
// goodput counting only the 200s answered within the window, the
// nearest-rank percentiles of 200s and of rejections, the rejections with
// Retry-After and their statuses, timeouts and errors.
func TestSummarize(t *testing.T) {
	ms := time.Millisecond
	var s []sample
	// 100 200s answered within the 2 s window, latencies 1..100 ms.
	for i := 1; i <= 100; i++ {
		s = append(s, okAt(10*time.Duration(i)*ms, time.Duration(i)*ms))
	}
	// One 200 sent in the window, answered after it: not goodput.
	s = append(s, okAt(1900*ms, 500*ms))
	// Rejections: 3 fast 503s with Retry-After, one slow 504 without.
	for range 3 {
		s = append(s, sample{Sent: ms, Latency: ms, Code: 503, RetryAfter: true, Outcome: outcomeRejected})
	}
	s = append(s, sample{Sent: ms, Latency: 10 * time.Second, Code: 504, Outcome: outcomeRejected})
	s = append(s, sample{Sent: ms, Latency: 12 * time.Second, Outcome: outcomeTimeout})
	s = append(s, sample{Sent: ms, Latency: ms, Outcome: outcomeError}, sample{Sent: ms, Latency: ms, Outcome: outcomeError})

	st := summarize(s, 2*time.Second)
	if st.Sent != 108 || st.AchievedRPS != 54 {
		t.Errorf("sent %d at %v/s, want 108 at 54/s", st.Sent, st.AchievedRPS)
	}
	if st.OK != 101 || st.GoodputRPS != 50 {
		t.Errorf("%d 200s, goodput %v/s; want 101 and 50/s (the late one not counted)", st.OK, st.GoodputRPS)
	}
	// 101 sorted 200s: 1..100 ms and 500 ms. p50: rank 51 → 51 ms; p99:
	// rank 100 → 100 ms.
	if st.P50OKms != 51 || st.P99OKms != 100 {
		t.Errorf("200s p50 %v p99 %v, want 51 and 100 ms", st.P50OKms, st.P99OKms)
	}
	if st.Rejected != 4 || st.RetryAfter != 3 || st.Codes["503"] != 3 || st.Codes["504"] != 1 || len(st.Codes) != 2 {
		t.Errorf("rejected %d, with Retry-After %d, codes %v; want 4, 3, 503×3 504×1", st.Rejected, st.RetryAfter, st.Codes)
	}
	if st.P50RejectedMs != 1 || st.P99RejectedMs != 10000 {
		t.Errorf("rejections p50 %v p99 %v, want 1 and 10000 ms", st.P50RejectedMs, st.P99RejectedMs)
	}
	if st.Timeouts != 1 || st.Errors != 2 {
		t.Errorf("timeouts %d errors %d, want 1 and 2", st.Timeouts, st.Errors)
	}
	if got := st.successPct(); got < 93.51 || got > 93.52 { // 101/108
		t.Errorf("success %v%%, want 93.52%%", got)
	}
	if empty := summarize(nil, time.Second); empty.Sent != 0 || empty.P99OKms != 0 || empty.successPct() != 0 || empty.Codes != nil {
		t.Errorf("no samples: %+v", empty)
	}
}

// TestPercentile checks the nearest-rank rule at its edges.
func TestPercentile(t *testing.T) {
	d := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n)
		}
		return out
	}
	for _, c := range []struct {
		xs   []time.Duration
		q    float64
		want time.Duration
	}{
		{nil, 0.5, 0},
		{d(7), 0.01, 7},
		{d(7), 1, 7},
		{d(1, 2), 0.5, 1},
		{d(1, 2), 0.51, 2},
		{d(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.99, 10},
		{d(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.9, 9},
	} {
		if got := percentile(c.xs, c.q); got != c.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", c.xs, c.q, got, c.want)
		}
	}
}

// TestPerSecond checks that requests fall in the second they ended in,
// that those ending after the window are left out, and that each second
// has its own p99 and counts; then that scraped limits land in their
// second (the last one wins) and the phases sum the seconds.
func TestPerSecond(t *testing.T) {
	ms := time.Millisecond
	s := []sample{
		okAt(100*ms, 20*ms),   // ends 0.12 s
		okAt(900*ms, 200*ms),  // ends 1.1 s
		okAt(1500*ms, 300*ms), // ends 1.8 s
		{Sent: 1999 * ms, Latency: ms, Code: 503, Outcome: outcomeRejected}, // ends 2.0 s
		okAt(2900*ms, 200*ms), // ends 3.1 s: after the window
		{Sent: 100 * ms, Latency: 2 * time.Second, Outcome: outcomeTimeout}, // ends 2.1 s
		{Sent: 100 * ms, Latency: ms, Outcome: outcomeError},                // ends 0.101 s
	}
	secs := perSecond(s, 3*time.Second)
	if len(secs) != 3 {
		t.Fatalf("%d seconds, want 3", len(secs))
	}
	want := []second{
		{T: 0, OK: 1, P99OKms: 20, Errors: 1},
		{T: 1, OK: 2, P99OKms: 300},
		{T: 2, Rejected: 1, Timeouts: 1},
	}
	for i, w := range want {
		if g := secs[i]; g.T != w.T || g.OK != w.OK || g.P99OKms != w.P99OKms || g.Rejected != w.Rejected || g.Timeouts != w.Timeouts || g.Errors != w.Errors {
			t.Errorf("second %d = %+v, want %+v", i, g, w)
		}
	}

	if withLimits(secs, nil) {
		t.Error("no scrape, yet a limit seen")
	}
	seen := withLimits(secs, []limitSample{{At: 1100 * ms, Value: 64}, {At: 1900 * ms, Value: 32}, {At: 5 * time.Second, Value: 1}})
	if !seen || secs[0].Limit != nil || secs[1].Limit == nil || *secs[1].Limit != 32 || secs[2].Limit != nil {
		t.Errorf("limits: seen %v, %v %v %v; want only second 1, at 32", seen, secs[0].Limit, secs[1].Limit, secs[2].Limit)
	}

	ps := phases(secs, 1, 2, 20*ms, 200*ms)
	if len(ps) != 3 {
		t.Fatalf("%d phases", len(ps))
	}
	if b, sl, a := ps[0], ps[1], ps[2]; b.From != 0 || b.To != 1 || b.OK != 1 || b.ServiceMs != 20 ||
		sl.From != 1 || sl.To != 2 || sl.OK != 2 || sl.GoodputRPS != 2 || sl.MaxP99OKms != 300 || sl.ServiceMs != 200 ||
		a.From != 2 || a.To != 3 || a.Rejected != 1 || a.TimeoutsErr != 1 || a.GoodputRPS != 0 {
		t.Errorf("phases %+v", ps)
	}
}
