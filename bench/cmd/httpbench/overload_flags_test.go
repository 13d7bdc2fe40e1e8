package main

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// TestOverloadFlags checks the overload scenario's flags: their defaults
// (30s runs, unless -duration says otherwise), the lists they parse, and
// each kind of bad value, while the other scenarios keep their defaults.
func TestOverloadFlags(t *testing.T) {
	c, err := parseFlags([]string{"-scenario", "overload"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := c.overload
	if c.duration != 30*time.Second || !slices.Equal(o.rates, []float64{0.5, 2, 5, 10}) || !slices.Equal(o.peers, overloadPeers) ||
		!slices.Equal(o.runs, overloadRuns) || o.clientTimeout != 12*time.Second || o.maxInFlight != 10000 || o.out != "" {
		t.Errorf("defaults: duration %s, %+v", c.duration, o)
	}
	if !strings.Contains(c.overloadCommand(), "-scenario overload -duration 30s -rates 0.5,2,5,10 -peers troupe,troupe-static,nethttp") {
		t.Errorf("command %q", c.overloadCommand())
	}
	if budget := c.overloadBudget(); budget < 17*30*time.Second {
		t.Errorf("budget %s for 17 runs of 30s", budget)
	}

	c, err = parseFlags([]string{"-scenario", "overload", "-duration", "2s", "-rates", "1, 3", "-peers", "nethttp,troupe", "-runs", "sweep", "-out", "/tmp/x"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.duration != 2*time.Second || !slices.Equal(c.overload.rates, []float64{1, 3}) || !slices.Equal(c.overload.peers, []string{"nethttp", "troupe"}) ||
		!slices.Equal(c.overload.runs, []string{"sweep"}) || c.overload.out != "/tmp/x" {
		t.Errorf("set: %s %+v", c.duration, c.overload)
	}
	if c.overload.has(runSlowdown) || !c.overload.has(runSweep) {
		t.Error("has")
	}
	if got := c.overload.slowdownPeers(); !slices.Equal(got, []string{"nethttp", "troupe"}) {
		t.Errorf("slow-down peers %v", got)
	}

	if c, err := parseFlags(nil, io.Discard); err != nil || c.duration != 5*time.Second {
		t.Errorf("scenario trivial: duration %v, %v; want its 5s", c.duration, err)
	}

	for _, bad := range [][]string{
		{"-rates", "0"},
		{"-rates", "2,x"},
		{"-rates", "-1"},
		{"-rates", "101"},
		{"-peers", "troupe,apache"},
		{"-peers", "troupe,troupe"},
		{"-peers", ""},
		{"-runs", "sweep,soak"},
		{"-client-timeout", "0s"},
		{"-max-inflight", "0"},
		{"-probe", "10ms"},
		{"-duration", "2s"}, // the slow-down run needs 3
		{"-duration", "1500ms"},
	} {
		args := append([]string{"-scenario", "overload"}, bad...)
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// TestToSample checks how the generator's results are classed: a 200, a
// rejection with and without Retry-After, the client's timeout, another
// failure, and which route it went to.
func TestToSample(t *testing.T) {
	began := time.Now()
	const crit = "http://h/critical"
	at := began.Add(time.Second)
	for _, c := range []struct {
		name string
		r    vegeta.Result
		want sample
	}{
		{"ok", vegeta.Result{Code: 200, Timestamp: at, Latency: time.Millisecond, URL: "http://h/work"},
			sample{Sent: time.Second, Latency: time.Millisecond, Code: 200, Outcome: outcomeOK}},
		{"503", vegeta.Result{Code: 503, Timestamp: at, Headers: http.Header{"Retry-After": {"1"}}, URL: crit},
			sample{Sent: time.Second, Code: 503, RetryAfter: true, Critical: true, Outcome: outcomeRejected}},
		{"504", vegeta.Result{Code: 504, Timestamp: at},
			sample{Sent: time.Second, Code: 504, Outcome: outcomeRejected}},
		{"timeout", vegeta.Result{Timestamp: at, Error: `Get "http://h/work": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`},
			sample{Sent: time.Second, Outcome: outcomeTimeout}},
		{"refused", vegeta.Result{Timestamp: at, Error: `Get "http://h/work": dial tcp 127.0.0.1:1: connect: connection refused`},
			sample{Sent: time.Second, Outcome: outcomeError}},
	} {
		if got := toSample(&c.r, began, crit); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// TestParseVmHWM checks the peak RSS read from /proc/PID/status, and that
// a status without it, or in another unit, is an error.
func TestParseVmHWM(t *testing.T) {
	status := "Name:\thttpbench\nVmPeak:\t 1300000 kB\nVmHWM:\t   41234 kB\nVmRSS:\t   40000 kB\n"
	if kib, err := parseVmHWM(status); err != nil || kib != 41234 {
		t.Errorf("parseVmHWM = %d, %v; want 41234", kib, err)
	}
	for _, bad := range []string{"Name:\tx\n", "VmHWM:\t 12 MB\n", "VmHWM:\n"} {
		if _, err := parseVmHWM(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	// This process's own, as the scenario reads its peers'.
	if kib, err := readVmHWM("/proc/self/status"); err != nil || kib <= 0 {
		t.Errorf("own VmHWM: %d, %v", kib, err)
	}
}
