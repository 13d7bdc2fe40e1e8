package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what one wrk run reports.
type wrkResult struct {
	Requests  int64         // completed requests
	Elapsed   time.Duration // wrk's own measured duration
	RPS       float64       // Requests/sec
	P50, P99  time.Duration // from the Latency Distribution
	Non2xx    int64         // "Non-2xx or 3xx responses"
	SockErrs  int64         // connect + read + write + timeout socket errors
	RawOutput string
}

// wrkGrace is how long past its duration a wrk run may take before it is
// killed: its own start-up, connection set-up and report.
const wrkGrace = 30 * time.Second

// runWrk loads url for d with conns connections on threads threads, with
// the Lua script at path script unless it is "", and returns wrk's parsed
// report. d must be whole seconds.
func runWrk(ctx context.Context, wrk, script, url string, threads, conns int, d time.Duration) (*wrkResult, error) {
	ctx, cancel := context.WithTimeout(ctx, d+wrkGrace)
	defer cancel()
	args := wrkArgs(script, url, threads, conns, d)
	out, err := exec.CommandContext(ctx, wrk, args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("wrk %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return parseWrk(string(out))
}

func wrkArgs(script, url string, threads, conns int, d time.Duration) []string {
	args := []string{
		"-t" + strconv.Itoa(threads), "-c", strconv.Itoa(conns),
		"-d", strconv.Itoa(int(d/time.Second)) + "s", "--latency",
	}
	if script != "" {
		args = append(args, "-s", script)
	}
	return append(args, url)
}

// parseWrk reads wrk 4's report, as printed with --latency.
func parseWrk(out string) (*wrkResult, error) {
	r := &wrkResult{RawOutput: out}
	var haveRPS, haveP50, haveP99, haveReqs bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var err error
		switch {
		case f[0] == "Requests/sec:" && len(f) == 2:
			r.RPS, err = strconv.ParseFloat(f[1], 64)
			haveRPS = true
		case f[0] == "50%" && len(f) == 2:
			r.P50, err = parseWrkDuration(f[1])
			haveP50 = true
		case f[0] == "99%" && len(f) == 2:
			r.P99, err = parseWrkDuration(f[1])
			haveP99 = true
		case len(f) >= 4 && f[1] == "requests" && f[2] == "in":
			// "114540 requests in 2.01s, 12.89MB read"
			if r.Requests, err = strconv.ParseInt(f[0], 10, 64); err == nil {
				r.Elapsed, err = parseWrkDuration(strings.TrimSuffix(f[3], ","))
			}
			haveReqs = true
		case f[0] == "Non-2xx" && len(f) == 5:
			r.Non2xx, err = strconv.ParseInt(f[len(f)-1], 10, 64)
		case f[0] == "Socket" && len(f) >= 2 && f[1] == "errors:":
			// "Socket errors: connect 0, read 12, write 0, timeout 3"
			for i := 2; i+1 < len(f); i += 2 {
				var n int64
				n, err = strconv.ParseInt(strings.TrimSuffix(f[i+1], ","), 10, 64)
				if err != nil {
					break
				}
				r.SockErrs += n
			}
		}
		if err != nil {
			return nil, fmt.Errorf("wrk output %q: %w", sc.Text(), err)
		}
	}
	if !haveRPS || !haveP50 || !haveP99 || !haveReqs {
		return nil, errors.New("wrk output lacks Requests/sec, the request count or the 50%/99% latencies:\n" + out)
	}
	return r, nil
}

// parseWrkDuration parses wrk's durations: "870.00us", "2.48ms", "1.02s",
// "1.50m".
func parseWrkDuration(s string) (time.Duration, error) {
	units := []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"m", time.Minute}, {"s", time.Second}, {"h", time.Hour}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, err
			}
			return time.Duration(math.Round(v * float64(u.unit))), nil
		}
	}
	return 0, fmt.Errorf("duration %q has no unit", s)
}
