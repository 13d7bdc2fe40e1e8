package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/troupe-go/troupe/bench"
)

// The overload scenario's defaults and fixed choices.
const (
	overloadDefaultDuration = 30 * time.Second
	overloadDefaultRates    = "0.5,2,5,10"
	// The client's timeout is longer than troupe's default request
	// deadline (10s), so that troupe's own 504 at its deadline reaches the
	// client instead of racing its timeout.
	overloadDefaultClientTimeout = 12 * time.Second
	// The generator keeps at most this many requests out at once: a
	// connection each, within the 20,000 open files the machine allows a
	// process, and the loopback's ~28,000 ephemeral ports.
	overloadDefaultMaxInFlight = 10000
	overloadDefaultProbe       = 3 * time.Second
	// probeConns is the closed-loop probe's concurrency: twice the
	// workload's slots, so that they are always full.
	probeConns = 2 * bench.OverloadSlots
	// The priorities run's offered load and share of critical requests.
	priorityMultiple = 5.0
	priorityEvery    = 10
	// The slow-down run: its offered load, and the service time of its
	// middle third.
	slowdownMultiple = 2.0
	slowServiceTime  = 200 * time.Millisecond
	// runGrace bounds, per run, starting and stopping a peer's process.
	runGrace = 45 * time.Second
)

// The overload scenario's runs, as -runs names them.
const (
	runSweep      = "sweep"
	runPriorities = "priorities"
	runSlowdown   = "slowdown"
)

var overloadRuns = []string{runSweep, runPriorities, runSlowdown}

// slowdownPeers are the peers of the slow-down run.
var slowdownPeers = []string{peerTroupe, peerNetHTTP}

// overloadFlags is the overload scenario's part of the configuration.
type overloadFlags struct {
	rates         []float64
	out           string
	clientTimeout time.Duration
	maxInFlight   int
	probe         time.Duration
	peers         []string
	runs          []string

	ratesArg, peersArg, runsArg string
}

// registerOverloadFlags adds the overload scenario's flags to fs.
func registerOverloadFlags(fs *flag.FlagSet) *overloadFlags {
	o := &overloadFlags{}
	fs.StringVar(&o.ratesArg, "rates", overloadDefaultRates, "scenario overload: offered loads, comma-separated multiples of the measured capacity")
	fs.StringVar(&o.out, "out", "", "scenario overload: `dir`ectory for the JSON report and the PNG plots (default: a new one under the temporary directory)")
	fs.DurationVar(&o.clientTimeout, "client-timeout", overloadDefaultClientTimeout, "scenario overload: the load generator's timeout per request")
	fs.IntVar(&o.maxInFlight, "max-inflight", overloadDefaultMaxInFlight, "scenario overload: most requests the load generator has out at once")
	fs.DurationVar(&o.probe, "probe", overloadDefaultProbe, "scenario overload: length of the closed-loop capacity probe")
	fs.StringVar(&o.peersArg, "peers", strings.Join(overloadPeers, ","), "scenario overload: the peers to load, of "+strings.Join(overloadPeers, ", "))
	fs.StringVar(&o.runsArg, "runs", strings.Join(overloadRuns, ","), "scenario overload: the runs to make, of "+strings.Join(overloadRuns, ", "))
	return o
}

// validate parses o's lists and checks its values.
func (o *overloadFlags) validate() error {
	var errs []error
	o.rates = nil
	for _, s := range strings.Split(o.ratesArg, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || v <= 0 || v > 100 {
			errs = append(errs, fmt.Errorf("-rates: %q is not a multiple of capacity in (0, 100]", s))
			continue
		}
		o.rates = append(o.rates, v)
	}
	var err error
	if o.peers, err = pickList("-peers", o.peersArg, overloadPeers); err != nil {
		errs = append(errs, err)
	}
	if o.runs, err = pickList("-runs", o.runsArg, overloadRuns); err != nil {
		errs = append(errs, err)
	}
	if o.clientTimeout <= 0 {
		errs = append(errs, errors.New("-client-timeout must be positive"))
	}
	if o.maxInFlight < 1 {
		errs = append(errs, errors.New("-max-inflight must be at least 1"))
	}
	if o.probe < 100*time.Millisecond {
		errs = append(errs, errors.New("-probe must be at least 100ms"))
	}
	return errors.Join(errs...)
}

// validateDuration checks the length of each run d against the runs o
// makes: the slow-down run needs a whole second in each of its thirds.
func (o *overloadFlags) validateDuration(d time.Duration) error {
	if o.has(runSlowdown) && d < 3*time.Second {
		return fmt.Errorf("-duration %s: the %s run needs at least 3s, a second per third", d, runSlowdown)
	}
	return nil
}

// pickList parses a comma-separated list of names from known, each once.
func pickList(flagName, arg string, known []string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(arg, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(known, s) {
			return nil, fmt.Errorf("%s: %q is not one of %s", flagName, s, strings.Join(known, ", "))
		}
		if slices.Contains(out, s) {
			return nil, fmt.Errorf("%s: %q twice", flagName, s)
		}
		out = append(out, s)
	}
	return out, nil
}

func (o *overloadFlags) has(run string) bool { return slices.Contains(o.runs, run) }

// slowdownPeers returns the chosen peers the slow-down run loads.
func (o *overloadFlags) slowdownPeers() []string {
	var out []string
	for _, p := range o.peers {
		if slices.Contains(slowdownPeers, p) {
			out = append(out, p)
		}
	}
	return out
}

// overloadCommand returns the effective configuration as a command line.
func (c *config) overloadCommand() string {
	o := c.overload
	rates := make([]string, len(o.rates))
	for i, r := range o.rates {
		rates[i] = strconv.FormatFloat(r, 'g', -1, 64)
	}
	s := fmt.Sprintf("cd bench && go run ./cmd/httpbench -scenario %s -duration %s -rates %s -peers %s -runs %s -client-timeout %s -max-inflight %d -probe %s",
		scenarioOverload, c.duration, strings.Join(rates, ","), strings.Join(o.peers, ","), strings.Join(o.runs, ","), o.clientTimeout, o.maxInFlight, o.probe)
	if o.out != "" {
		s += " -out " + o.out
	}
	return s
}

// budget bounds the whole overload run: every run at its length plus the
// client's timeout (its last requests) and its peer's start and stop, the
// probe, and a minute.
func (c *config) overloadBudget() time.Duration {
	o := c.overload
	n := 0
	if o.has(runSweep) {
		n += len(o.rates) * len(o.peers)
	}
	if o.has(runPriorities) {
		n += len(o.peers)
	}
	if o.has(runSlowdown) {
		n += len(o.slowdownPeers())
	}
	return time.Duration(n)*(c.duration+o.clientTimeout+runGrace) + o.probe + runGrace + time.Minute
}

// runOverload runs the overload scenario: the capacity probe, then the
// runs -runs names, each against a fresh process of each peer; it prints
// the tables and writes the JSON report and the plots into -out.
func runOverload(ctx context.Context, c *config, stdout io.Writer) error {
	o := c.overload
	if o.out == "" {
		dir, err := os.MkdirTemp("", "httpbench-overload-")
		if err != nil {
			return err
		}
		o.out = dir
	} else if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.overloadBudget())
	defer cancel()

	m := readMachine(c.wrk)
	m.Wrk = "not used"
	rep := &overloadReport{
		Date: time.Now().UTC().Format(time.RFC3339), Machine: m, Command: c.overloadCommand(),
		Generator:      vegetaVersion() + " (library, in this process), HTTP/1.1 keep-alive over loopback",
		ClientTimeoutS: o.clientTimeout.Seconds(), MaxInFlight: o.maxInFlight, DurationS: c.duration.Seconds(),
	}
	fmt.Fprintf(stdout, "httpbench: overload — open-loop load past capacity, %s of work at most %d at once\n", bench.OverloadServiceTime, bench.OverloadSlots)
	fmt.Fprintf(stdout, "machine:   %s\n", m)
	fmt.Fprintf(stdout, "date:      %s\n", rep.Date)
	fmt.Fprintf(stdout, "command:   %s\n", rep.Command)
	fmt.Fprintf(stdout, "load:      %s; constant rate for %s per run; client timeout %s; at most %d requests out at once\n",
		rep.Generator, c.duration, o.clientTimeout, o.maxInFlight)
	fmt.Fprintf(stdout, "workload:  GET %s (and %s): time.Sleep(%s), at most %d at once: %s req/s at most\n",
		bench.OverloadPath, bench.OverloadCriticalPath, bench.OverloadServiceTime, bench.OverloadSlots, thousands(theoreticalCapacity()))
	fmt.Fprintln(stdout, "troupe:        troupe's defaults; the handler a troupe.Handler Spec with Concurrency 16")
	fmt.Fprintln(stdout, "troupe-static: the same with the ingress's adaptive limit off (max_in_flight 1024 alone; staticOverloadConfig)")
	fmt.Fprintln(stdout, "nethttp:       net/http, a buffered channel of 16 around the handler; a request waits for a slot while its client stays")
	fmt.Fprintln(stdout, "peers:     each run a fresh process (this program, -serve-peer), so its peak RSS (VmHWM) is its own")
	fmt.Fprintln(stdout)

	// The capacity the offered loads are multiples of.
	if err := func() error {
		p, err := startPeer(ctx, peerNetHTTP)
		if err != nil {
			return err
		}
		rps, perr := probeCapacity(ctx, "http://"+p.addrs.Addr, probeConns, o.probe)
		if err := errors.Join(perr, stopPeer(p)); err != nil {
			return fmt.Errorf("capacity probe: %w", err)
		}
		rep.Capacity = capacityProbe{Peer: peerNetHTTP, Conns: probeConns, DurationS: o.probe.Seconds(), RPS: rps, TheoreticalRPS: theoreticalCapacity()}
		return nil
	}(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "capacity:  %s req/s (closed loop, %d connections for %s against %s; at most %s)\n\n",
		thousands(rep.Capacity.RPS), probeConns, o.probe, peerNetHTTP, thousands(theoreticalCapacity()))
	if rep.Capacity.RPS < 0.9*theoreticalCapacity() {
		fmt.Fprintf(stdout, "NOTE:      the probe found under 90%% of %s req/s: the machine is busy; do not quote this run's figures\n\n",
			thousands(theoreticalCapacity()))
	}
	if rep.Capacity.RPS <= 0 {
		return errors.New("capacity probe: no request answered 200")
	}

	runErr := runAll(ctx, c, rep, stdout)
	if len(rep.Runs) > 0 {
		rep.judge(targetPeer)
	}
	fmt.Fprintln(stdout)
	rep.print(stdout)
	errs := []error{runErr}
	path := o.out + "/overload.json"
	if err := rep.writeJSON(path); err != nil {
		errs = append(errs, err)
	} else {
		fmt.Fprintf(stdout, "\nraw figures written to %s\n", path)
	}
	if paths, err := writePlots(rep, o.out); err != nil {
		errs = append(errs, fmt.Errorf("plots: %w", err))
	} else {
		for _, p := range paths {
			fmt.Fprintf(stdout, "plot written to %s\n", p)
		}
	}
	return errors.Join(errs...)
}

func theoreticalCapacity() float64 {
	return bench.OverloadSlots / bench.OverloadServiceTime.Seconds()
}

// runAll makes the runs -runs names, adding each to rep as it ends.
func runAll(ctx context.Context, c *config, rep *overloadReport, stdout io.Writer) error {
	o := c.overload
	capacity := rep.Capacity.RPS
	spec := func(base string, multiple float64) attackSpec {
		return attackSpec{base: base, rate: multiple * capacity, duration: c.duration, timeout: o.clientTimeout, maxInFlight: o.maxInFlight}
	}
	if o.has(runSweep) {
		for _, mult := range o.rates {
			for _, peer := range o.peers {
				var r *overloadRun
				kib, err := withPeer(ctx, peer, func(p *peerProcess) error {
					samples, err := attack(ctx, spec("http://"+p.addrs.Addr, mult))
					st := summarize(samples, c.duration)
					r = &overloadRun{Peer: peer, Multiple: mult, OfferedRPS: mult * capacity, loadStats: st, GoodputPct: 100 * st.GoodputRPS / capacity}
					return err
				})
				if r != nil {
					r.PeakRSSKiB = kib
					rep.Runs = append(rep.Runs, r)
					fmt.Fprintf(stdout, "sweep      %-13s %5g× %7s/s  goodput %7s/s (%3.0f%%)  p99 200 %9s  rejected %7d (p99 %9s)  timeouts %6d  errors %6d  RSS %s\n",
						peer, mult, thousands(r.OfferedRPS), thousands(r.GoodputRPS), r.GoodputPct, msOrDash(r.P99OKms, r.OK),
						r.Rejected, msOrDash(r.P99RejectedMs, r.Rejected), r.Timeouts, r.Errors, mib(r.PeakRSSKiB))
				}
				if err != nil {
					return fmt.Errorf("sweep, %s at %g×: %w", peer, mult, err)
				}
			}
		}
	}
	if o.has(runPriorities) {
		for _, peer := range o.peers {
			var r *priorityRun
			kib, err := withPeer(ctx, peer, func(p *peerProcess) error {
				sp := spec("http://"+p.addrs.Addr, priorityMultiple)
				sp.criticalEvery = priorityEvery
				samples, err := attack(ctx, sp)
				var crit, other []sample
				for _, s := range samples {
					if s.Critical {
						crit = append(crit, s)
					} else {
						other = append(other, s)
					}
				}
				r = &priorityRun{Peer: peer, Multiple: priorityMultiple, OfferedRPS: priorityMultiple * capacity, CriticalPct: 100.0 / priorityEvery,
					Critical: summarize(crit, c.duration), Other: summarize(other, c.duration)}
				return err
			})
			if r != nil {
				r.PeakRSSKiB = kib
				rep.Priorities = append(rep.Priorities, r)
				fmt.Fprintf(stdout, "priorities %-13s %5g× critical %5.1f%% ok (p99 %9s)  other %5.1f%% ok (p99 %9s)\n",
					peer, r.Multiple, r.Critical.successPct(), msOrDash(r.Critical.P99OKms, r.Critical.OK), r.Other.successPct(), msOrDash(r.Other.P99OKms, r.Other.OK))
			}
			if err != nil {
				return fmt.Errorf("priorities, %s: %w", peer, err)
			}
		}
	}
	if o.has(runSlowdown) {
		for _, peer := range o.slowdownPeers() {
			var r *slowdownRun
			kib, err := withPeer(ctx, peer, func(p *peerProcess) error {
				var err error
				r, err = slowdown(ctx, p, spec("http://"+p.addrs.Addr, slowdownMultiple))
				if r != nil {
					r.Peer, r.Multiple = peer, slowdownMultiple
				}
				return err
			})
			if r != nil {
				r.PeakRSSKiB = kib
				rep.Slowdown = append(rep.Slowdown, r)
				for _, ph := range r.Phases {
					fmt.Fprintf(stdout, "slowdown   %-13s %5g× %-6s goodput %7s/s  worst p99 200 %9s  rejected %7d  timeouts+errors %6d\n",
						peer, r.Multiple, ph.Name, thousands(ph.GoodputRPS), msOrDash(ph.MaxP99OKms, ph.OK), ph.Rejected, ph.TimeoutsErr)
				}
			}
			if err != nil {
				return fmt.Errorf("slowdown, %s: %w", peer, err)
			}
		}
	}
	return nil
}

// withPeer starts a fresh process of peer, runs load against it, and
// stops the process; it returns the process's peak RSS, in KiB, read
// before it stopped.
func withPeer(ctx context.Context, peer string, load func(*peerProcess) error) (int64, error) {
	runtime.GC() // the previous run's garbage is not this run's cost
	p, err := startPeer(ctx, peer)
	if err != nil {
		return 0, err
	}
	loadErr := load(p)
	kib, rssErr := p.peakRSS()
	return kib, errors.Join(loadErr, rssErr, stopPeer(p))
}

// stopPeer stops p, waiting up to 30s.
func stopPeer(p *peerProcess) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return p.stop(ctx)
}

// slowdown runs spec against p while switching its service time to
// slowServiceTime for the middle third of the run, scraping troupe's
// admission limit from its admin listener once a second if it has one.
func slowdown(ctx context.Context, p *peerProcess, spec attackSpec) (*slowdownRun, error) {
	from, to := spec.duration/3, 2*spec.duration/3
	r := &slowdownRun{OfferedRPS: spec.rate, SlowFromS: int(from / time.Second), SlowToS: int(to / time.Second)}
	if r.SlowFromS == r.SlowToS {
		return nil, fmt.Errorf("a %s run has no whole second of slow-down", spec.duration)
	}
	began := time.Now()
	sctx, stopSide := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var limits []limitSample
	if p.addrs.Admin != "" {
		wg.Go(func() { limits = scrapeEvery(sctx, "http://"+p.addrs.Admin+"/metrics", began, time.Second) })
	}
	var switchErr error
	wg.Go(func() {
		for _, step := range []struct {
			at time.Duration
			d  time.Duration
		}{{time.Duration(r.SlowFromS) * time.Second, slowServiceTime}, {time.Duration(r.SlowToS) * time.Second, bench.OverloadServiceTime}} {
			t := time.NewTimer(time.Until(began.Add(step.at)))
			select {
			case <-sctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			if err := p.setServiceTime(sctx, step.d); err != nil {
				switchErr = err
				return
			}
		}
	})
	samples, err := attack(ctx, spec)
	stopSide()
	wg.Wait()
	r.Total = summarize(samples, spec.duration)
	r.Seconds = perSecond(samples, spec.duration)
	for i := range r.Seconds {
		r.Seconds[i].ServiceMs = ms(bench.OverloadServiceTime)
		if i >= r.SlowFromS && i < r.SlowToS {
			r.Seconds[i].ServiceMs = ms(slowServiceTime)
		}
	}
	r.LimitSeen = withLimits(r.Seconds, limits)
	r.Phases = phases(r.Seconds, r.SlowFromS, r.SlowToS, bench.OverloadServiceTime, slowServiceTime)
	return r, errors.Join(err, switchErr)
}
