// Command httpbench measures what troupe's pipeline costs over HTTP. It
// serves the same work twice in one process, as plain net/http middleware
// and as a troupe pipeline (package bench), each on its own loopback port,
// and loads them in interleaved rounds with wrk, which runs as a separate
// process. The work is a scenario: "trivial" (the default), five trivial
// middleware and a JSON handler behind GET /hello; "api", the catalogue's
// api stack (request id, access log, API-key auth, rate limit, JSON Schema
// validation) in front of POST /items, against chi, zap, httprate and
// jsonschema middleware; "batch", a simulated model behind POST /score,
// called once per request, through a hand-written channel batcher and
// through troupe's batcher, beside troupe's trivial peer as a reference;
// "proxy", troupe's reverse proxy against httputil.ReverseProxy in
// front of the same loopback upstream; "overload", open-loop load past
// a workload's capacity with vegeta instead of wrk (overload.go); or
// "jobs", durable jobs run through a troupe queue, a bare jobs.Runner and
// a plain worker pool over the same store, without HTTP (jobs.go).
// For each round it records wrk's throughput and latency percentiles and
// the server's CPU time per request: this process's user+sys time during
// the round, divided by the requests wrk completed.
//
// Usage, from bench/:
//
//	go run ./cmd/httpbench [-scenario trivial|api|batch|proxy] [-conns 64,256] [-rounds 5] [-duration 5s] [-json FILE] [-cpuprofile FILE]
//	go run ./cmd/httpbench -scenario overload [-duration 30s] [-rates 0.5,2,5,10] [-out DIR]
//	go run ./cmd/httpbench -scenario jobs [-stores sqlite,postgres] [-conns 4,16] [-rounds 5] [-jobs 2000] [-json FILE]
//
// It needs wrk (Debian: apt-get install -y wrk), targets only 127.0.0.1,
// and stops by itself: every wrk run is bounded, and so is the whole run.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/troupe-go/troupe/bench"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == servePeerFlag {
		os.Exit(servePeerMain(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpbench:", err)
		os.Exit(1)
	}
}

// config is the run's configuration, from the flags.
type config struct {
	scenario   string
	conns      []int
	rounds     int
	duration   time.Duration
	warmup     time.Duration
	threads    int
	stages     int
	wrk        string
	cpuprofile string
	jsonOut    string
	overload   *overloadFlags // scenario overload's own flags
	jobs       *jobsFlags     // scenario jobs' own flags
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("httpbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.scenario, "scenario", scenarioTrivial, "what to load: "+scenarioTrivial+" (-stages trivial middleware, GET), "+scenarioTaught+" (the same as the README teaches it), "+
		scenarioAPI+" (the api stack, POST /items), "+scenarioBatch+" (a simulated model, batched, POST /score), "+
		scenarioProxy+" (a reverse proxy, GET /proxy/data), "+scenarioTracing+" (taught with tracing off, at 1% and at 100%), "+scenarioJobs+" (durable jobs: a troupe queue vs a plain worker pool, no HTTP) or "+scenarioOverload+" (open-loop load past capacity, with vegeta)")
	conns := fs.String("conns", "", "comma-separated wrk connection counts, each measured in turn (default 64,256; 4,64,256 for -scenario batch); for -scenario jobs, the concurrencies (default 4,16)")
	fs.IntVar(&c.rounds, "rounds", 5, "measured rounds per peer and connection count")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "length of each round (whole seconds; scenario overload: of each run, default 30s)")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "unrecorded warm-up per peer and connection count (whole seconds; 0 for none)")
	fs.IntVar(&c.threads, "threads", 2, "wrk threads (-t)")
	fs.IntVar(&c.stages, "stages", 5, "middleware in each peer's pipeline (scenario trivial), or in the reference peer's (scenario batch)")
	fs.StringVar(&c.wrk, "wrk", "/usr/bin/wrk", "path of the wrk binary")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of troupe's measured rounds (only) to `file`")
	fs.StringVar(&c.jsonOut, "json", "", "write every measured round, raw, as JSON to `file`")
	c.overload = registerOverloadFlags(fs)
	c.jobs = registerJobsFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if c.scenario == scenarioOverload && !flagSet(fs, "duration") {
		c.duration = overloadDefaultDuration
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *conns == "" {
		*conns = defaultConns(c.scenario)
	}
	for _, s := range strings.Split(*conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-conns: %q is not a positive number", s)
		}
		c.conns = append(c.conns, n)
	}
	var errs []error
	if c.rounds < 1 {
		errs = append(errs, errors.New("-rounds must be at least 1"))
	}
	if c.duration < time.Second || c.duration%time.Second != 0 {
		errs = append(errs, errors.New("-duration must be whole seconds, at least 1s"))
	}
	if c.warmup < 0 || c.warmup%time.Second != 0 {
		errs = append(errs, errors.New("-warmup must be whole seconds"))
	}
	switch c.scenario {
	case scenarioTrivial, scenarioTaught, scenarioAPI, scenarioBatch, scenarioProxy, scenarioTracing:
	case scenarioJobs:
		if err := c.jobs.validate(); err != nil {
			errs = append(errs, err)
		}
	case scenarioOverload:
		if err := c.overload.validate(); err != nil {
			errs = append(errs, err)
		} else if err := c.overload.validateDuration(c.duration); err != nil {
			errs = append(errs, err)
		}
	default:
		errs = append(errs, fmt.Errorf("-scenario %q: want %s", c.scenario, scenarioNames))
	}
	if c.threads < 1 || c.stages < 0 {
		errs = append(errs, errors.New("-threads must be at least 1 and -stages not negative"))
	}
	for _, n := range c.conns {
		if n < c.threads && c.scenario != scenarioJobs {
			errs = append(errs, fmt.Errorf("-conns %d is fewer than -threads %d (wrk needs one per thread)", n, c.threads))
		}
	}
	return c, errors.Join(errs...)
}

// flagSet reports whether the command line set the flag called name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// flags returns the effective configuration as a command line.
func (c *config) flags() string {
	conns := make([]string, len(c.conns))
	for i, n := range c.conns {
		conns[i] = strconv.Itoa(n)
	}
	s := fmt.Sprintf("-scenario %s -conns %s -rounds %d -duration %s -warmup %s -threads %d",
		c.scenario, strings.Join(conns, ","), c.rounds, c.duration, c.warmup, c.threads)
	if c.scenario == scenarioTrivial || c.scenario == scenarioBatch {
		s += fmt.Sprintf(" -stages %d", c.stages)
	}
	if c.cpuprofile != "" {
		s += " -cpuprofile " + c.cpuprofile
	}
	if c.jsonOut != "" {
		s += " -json " + c.jsonOut
	}
	return s
}

// budget bounds the whole run with peers peers: every round and warm-up
// at its length plus wrk's grace, and a minute for start-up and shutdown.
func (c *config) budget(peers int) time.Duration {
	runs := time.Duration(len(c.conns)) * time.Duration(peers) * (time.Duration(c.rounds)*(c.duration+wrkGrace) + c.warmup + wrkGrace)
	return runs + time.Minute
}

// peer is one server under load.
type peer interface {
	Start(addr string) error
	Addr() net.Addr
	Shutdown(ctx context.Context) error
	Hits() int64
}

// modelCounter is a peer with a model (scenario batch), whose counters
// give the mean batch size of a round.
type modelCounter interface {
	ModelCounts() bench.ModelCounts
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	c, err := parseFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	switch c.scenario {
	case scenarioOverload:
		return runOverload(ctx, c, stdout)
	case scenarioJobs:
		return runJobs(ctx, c, stdout)
	}
	if _, err := exec.LookPath(c.wrk); err != nil {
		return fmt.Errorf("wrk not found at %s (%w): install it with `apt-get install -y wrk` (Debian), or pass -wrk PATH", c.wrk, err)
	}
	log, err := warnLogger()
	if err != nil {
		return err
	}
	sc, err := newScenario(c, log)
	if err != nil {
		return err
	}
	if sc.close != nil {
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := sc.close(sctx); err != nil {
				fmt.Fprintf(os.Stderr, "httpbench: %s scenario shutdown: %v\n", sc.name, err)
			}
		}()
	}
	ctx, cancel := context.WithTimeout(ctx, c.budget(len(sc.peers)))
	defer cancel()
	peers := sc.peers
	nameWidth := 0
	var order []string
	for _, p := range peers {
		nameWidth = max(nameWidth, len(p.name))
		order = append(order, p.name)
		file, remove, err := writeScript(p.script)
		if err != nil {
			return fmt.Errorf("wrk script of %s: %w", p.name, err)
		}
		defer remove()
		p.scriptFile = file
	}

	m := readMachine(c.wrk)
	fmt.Fprintf(stdout, "httpbench: %s\n", sc.title)
	fmt.Fprintf(stdout, "machine:   %s\n", m)
	fmt.Fprintf(stdout, "date:      %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(stdout, "command:   cd bench && go run ./cmd/httpbench %s\n", c.flags())
	fmt.Fprintf(stdout, "load:      wrk -t%d -c N -d %ds --latency [-s SCRIPT.lua] URL, N in -conns; rounds interleaved %s, %s…, runtime.GC() before each\n",
		c.threads, int(c.duration/time.Second), strings.Join(order, ", "), order[0])
	for _, n := range sc.notes {
		fmt.Fprintln(stdout, n)
	}
	if c.cpuprofile != "" {
		fmt.Fprintln(stdout, "NOTE:      -cpuprofile is on: troupe's rounds carry the profiler's overhead; do not quote this run's ratios")
	}
	fmt.Fprintln(stdout)

	for _, p := range peers {
		if err := p.Start("127.0.0.1:0"); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := p.Shutdown(sctx); err != nil {
				fmt.Fprintf(os.Stderr, "httpbench: %s shutdown: %v\n", p.name, err)
			}
		}()
		base := "http://" + p.Addr().String()
		p.url = base + p.path
		body, err := p.probe(ctx, base)
		if err != nil {
			return fmt.Errorf("%s at %s: %w", p.name, p.url, err)
		}
		how := "GET"
		if p.script != "" {
			how = "wrk script"
		}
		fmt.Fprintf(stdout, "%-*s serves %s (%s) → %s\n", nameWidth, p.name, p.url, how, body)
	}
	fmt.Fprintln(stdout)

	prof := &profiler{}
	rep := &report{
		Date: time.Now().UTC().Format(time.RFC3339), Machine: m,
		Command:  "cd bench && go run ./cmd/httpbench " + c.flags(),
		Scenario: sc.name, Threads: c.threads, DurationS: c.duration.Seconds(), Rounds: c.rounds,
		peers: order, unit: sc.unit, comparisons: sc.comparisons, peerTargets: sc.peerTargets,
	}
	if sc.name == scenarioTrivial || sc.name == scenarioBatch {
		rep.Stages = c.stages
	}
	runErr := func() error {
		for _, conns := range c.conns {
			if c.warmup > 0 {
				for _, p := range peers {
					if _, err := runWrk(ctx, c.wrk, p.scriptFile, p.url, c.threads, conns, c.warmup); err != nil {
						return fmt.Errorf("warm-up of %s: %w", p.name, err)
					}
				}
			}
			for r := 1; r <= c.rounds; r++ {
				for _, p := range peers {
					var pr *profiler
					if c.cpuprofile != "" && p.profile {
						pr = prof
					}
					rd, err := measure(ctx, c, p, conns, pr)
					if err != nil {
						return fmt.Errorf("%s, %d connections, round %d: %w", p.name, conns, r, err)
					}
					rd.Round = r
					rep.Runs = append(rep.Runs, rd)
					batch := ""
					if rd.ModelCalls > 0 {
						batch = fmt.Sprintf("  %6.2f items/call", float64(rd.ModelItems)/float64(rd.ModelCalls))
					}
					fmt.Fprintf(stdout, "c=%-4d round %d/%d %-*s %9s req/s  p50 %8s  p99 %8s  CPU %6.2f µs/req%s%s\n",
						conns, r, c.rounds, nameWidth, p.name, thousands(rd.RPS), fmtDur(rd.P50us), fmtDur(rd.P99us), rd.CPUPerReqUs, batch, rd.warnings())
				}
			}
		}
		return nil
	}()

	if len(rep.Runs) > 0 {
		rep.summarize(c.conns)
		fmt.Fprintln(stdout)
		rep.print(stdout)
	}
	var errs []error
	errs = append(errs, runErr)
	if c.jsonOut != "" && len(rep.Runs) > 0 {
		if err := rep.writeJSON(c.jsonOut); err != nil {
			errs = append(errs, err)
		} else {
			fmt.Fprintf(stdout, "\nraw rounds written to %s\n", c.jsonOut)
		}
	}
	if c.cpuprofile != "" && len(prof.profiles) > 0 {
		if err := prof.write(c.cpuprofile); err != nil {
			errs = append(errs, err)
		} else {
			fmt.Fprintf(stdout, "CPU profile of troupe's %d measured rounds written to %s (go tool pprof -top %s)\n",
				len(prof.profiles), c.cpuprofile, c.cpuprofile)
		}
	}
	return errors.Join(errs...)
}

// measure runs one recorded round against p, with its wrk Lua script if
// it has one, and returns it.
func measure(ctx context.Context, c *config, p *namedPeer, conns int, prof *profiler) (*round, error) {
	runtime.GC() // the previous round's garbage is not this round's cost
	hits0 := p.Hits()
	mc, hasModel := p.peer.(modelCounter)
	var model0 bench.ModelCounts
	if hasModel {
		model0 = mc.ModelCounts()
	}
	if prof != nil {
		if err := prof.start(); err != nil {
			return nil, err
		}
	}
	cpu0, err := processCPU()
	if err != nil {
		return nil, err
	}
	res, wrkErr := runWrk(ctx, c.wrk, p.scriptFile, p.url, c.threads, conns, c.duration)
	cpu1, err := processCPU()
	if prof != nil {
		prof.stop()
	}
	if wrkErr != nil {
		return nil, wrkErr
	}
	if err != nil {
		return nil, err
	}
	if res.Requests == 0 {
		return nil, errors.New("wrk completed no request:\n" + res.RawOutput)
	}
	rd := &round{
		Conns: conns, Peer: p.name, Requests: res.Requests, ElapsedS: res.Elapsed.Seconds(), RPS: res.RPS,
		P50us: us(res.P50), P99us: us(res.P99), CPUSeconds: (cpu1 - cpu0).Seconds(),
		Non2xx: res.Non2xx, SocketErrors: res.SockErrs,
	}
	rd.CPUPerReqUs = us(cpu1-cpu0) / float64(res.Requests)
	if p.hitsPerRequest > 0 {
		rd.Served = (p.Hits() - hits0) / int64(p.hitsPerRequest)
	}
	if hasModel {
		m := mc.ModelCounts()
		rd.ModelCalls, rd.ModelItems = m.Calls-model0.Calls, m.Items-model0.Items
	}
	return rd, nil
}

// processCPU returns this process's user+sys CPU time. wrk runs in a
// process of its own, and RUSAGE_SELF does not count children.
func processCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// warnLogger returns troupe's logger for the run: JSON to stderr, Warn and
// above, so that the app says nothing per request but its problems show.
func warnLogger() (*zap.Logger, error) {
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(zapcore.WarnLevel)
	cfg.Sampling = nil
	return cfg.Build()
}

// machine describes where the run happened.
type machine struct {
	NProc      int    `json:"nproc"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPU        string `json:"cpu"`
	Go         string `json:"go"`
	OS         string `json:"os"`
	Wrk        string `json:"wrk"`
}

func (m machine) String() string {
	return fmt.Sprintf("nproc %d (GOMAXPROCS %d), CPU %q, %s %s, %s", m.NProc, m.GOMAXPROCS, m.CPU, m.Go, m.OS, m.Wrk)
}

func readMachine(wrk string) machine {
	m := machine{
		NProc: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), CPU: "unknown",
		Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, Wrk: "wrk (version unknown)",
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	// wrk -v prints its version line, then its usage, and exits 1.
	out, _ := exec.Command(wrk, "-v").CombinedOutput()
	if line, _, _ := strings.Cut(string(out), "\n"); strings.HasPrefix(line, "wrk ") {
		m.Wrk, _, _ = strings.Cut(line, " Copyright")
	}
	return m
}

// writeJSON writes the report to path.
func (r *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
