package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/troupe-go/troupe/bench"
	"github.com/troupe-go/troupe/jobs"
	"go.uber.org/zap"
)

// The jobs scenario: no HTTP load. Jobs are enqueued on a store, then run
// by three consumers of the same store (package bench, jobs*.go), in
// interleaved rounds; each round times one consumer draining its queue.
const (
	storeSQLite   = "sqlite"
	storePostgres = "postgres"
	// postgresEnv names the PostgreSQL DSN, as the pgstore tests name it.
	postgresEnv = "TROUPE_TEST_POSTGRES"
	// jobsDrainLimit bounds one round's drain (and one warm-up's): a round
	// that takes longer has stalled.
	jobsDrainLimit = 2 * time.Minute
)

// The jobs scenario's consumers, in the order of each cycle of rounds.
const (
	consumerPlain   = "plain"
	consumerBatched = "batched"
	consumerRunner  = "runner"
	consumerTroupe  = "troupe"
)

var jobConsumers = []string{consumerPlain, consumerBatched, consumerRunner, consumerTroupe}

// jobComparisons are the paired comparisons the jobs scenario reports:
// troupe against each plain pool, the runner against the pool that claims
// as it does (the runner's machinery), and troupe against the runner (the
// pipeline alone).
var jobComparisons = []comparison{
	{num: consumerTroupe, den: consumerPlain},
	{num: consumerTroupe, den: consumerBatched},
	{num: consumerRunner, den: consumerBatched},
	{num: consumerTroupe, den: consumerRunner},
}

// jobsFlags is the jobs scenario's part of the configuration.
type jobsFlags struct {
	perRound int
	stores   []string

	storesArg string
}

// registerJobsFlags adds the jobs scenario's flags to fs.
func registerJobsFlags(fs *flag.FlagSet) *jobsFlags {
	j := &jobsFlags{}
	fs.IntVar(&j.perRound, "jobs", 2000, "scenario jobs: jobs each consumer runs per round (a quarter of it in its warm-up)")
	fs.StringVar(&j.storesArg, "stores", storeSQLite+","+storePostgres, "scenario jobs: the stores, of "+storeSQLite+" (a temporary file) and "+storePostgres+" (at $"+postgresEnv+"; skipped if unset)")
	return j
}

// validate parses j's list and checks its values.
func (j *jobsFlags) validate() error {
	var errs []error
	if j.perRound < 4 {
		errs = append(errs, errors.New("-jobs must be at least 4"))
	}
	var err error
	if j.stores, err = pickList("-stores", j.storesArg, []string{storeSQLite, storePostgres}); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// jobRound is one consumer's measured drain of a round's jobs.
type jobRound struct {
	Store        string  `json:"store"`
	Concurrency  int     `json:"concurrency"`
	Round        int     `json:"round"`
	Consumer     string  `json:"consumer"`
	Jobs         int     `json:"jobs"`
	ElapsedS     float64 `json:"elapsed_s"`
	JobsPerS     float64 `json:"jobs_per_s"`
	UsPerJob     float64 `json:"us_per_job"`     // wall time per job
	CPUUsPerJob  float64 `json:"cpu_us_per_job"` // this process's user+sys per job
	AllocsPerJob float64 `json:"allocs_per_job"` // heap allocations in this process per job
	BytesPerJob  float64 `json:"bytes_per_job"`
	EnqueuePerS  float64 `json:"enqueue_per_s"` // the round's enqueue beforehand, not part of the drain
}

// jobFigures are the figures a summary gives: medians of rounds, or of
// paired differences.
type jobFigures struct {
	JobsPerS     float64 `json:"jobs_per_s"`
	UsPerJob     float64 `json:"us_per_job"`
	CPUUsPerJob  float64 `json:"cpu_us_per_job"`
	AllocsPerJob float64 `json:"allocs_per_job"`
	BytesPerJob  float64 `json:"bytes_per_job"`
	EnqueuePerS  float64 `json:"enqueue_per_s,omitempty"`
}

// jobComparison is one comparison num against den at one store and
// concurrency: the medians over the rounds of each round's ratio and
// difference (round i of num against round i of den, of the same cycle).
type jobComparison struct {
	Name string `json:"name"`
	// Ratio: num's jobs/s, µs/job and CPU µs/job over den's.
	Ratio jobFigures `json:"ratio"`
	// Added: num's µs/job, CPU µs/job, allocs/job and B/job less den's.
	Added    jobFigures   `json:"added"`
	PerRound []jobFigures `json:"per_round_ratio"`
	PerAdded []jobFigures `json:"per_round_added"`
}

// jobSummary is one store and concurrency's result.
type jobSummary struct {
	Store       string                `json:"store"`
	Concurrency int                   `json:"concurrency"`
	Consumers   map[string]jobFigures `json:"consumers"`
	Comparisons []*jobComparison      `json:"comparisons"`
}

// jobReport is the whole run, as -json writes it.
type jobReport struct {
	Date      string        `json:"date"`
	Machine   machine       `json:"machine"`
	Command   string        `json:"command"`
	LoadAvg   string        `json:"loadavg_start"`
	Rounds    []*jobRound   `json:"rounds"`
	Summaries []*jobSummary `json:"summaries"`
}

// runJobs runs the jobs scenario.
func runJobs(ctx context.Context, c *config, stdout io.Writer) error {
	log, err := warnLogger()
	if err != nil {
		return err
	}
	m := readMachine("")
	m.Wrk = "(wrk not used)"
	rep := &jobReport{Date: time.Now().UTC().Format(time.RFC3339), Machine: m,
		Command: "cd bench && go run ./cmd/httpbench " + c.jobsCommand(), LoadAvg: loadAverage()}
	fmt.Fprintln(stdout, "httpbench: durable jobs, a troupe app's queue vs a bare jobs.Runner vs plain worker pools, over the same store")
	fmt.Fprintf(stdout, "machine:   %s\n", m)
	fmt.Fprintf(stdout, "date:      %s (load average %s)\n", rep.Date, rep.LoadAvg)
	fmt.Fprintf(stdout, "command:   %s\n", rep.Command)
	fmt.Fprintf(stdout, "round:     %d jobs of %d bytes enqueued on the store (not timed with the drain), then one consumer drains them, timed until the last completes; runtime.GC() before each; cycles %s\n",
		c.jobs.perRound, len(bench.JobPayload), strings.Join(jobConsumers, ", "))
	fmt.Fprintln(stdout, "plain:     N goroutines: Claim(1) → handler → Complete on the store, until a claim finds none")
	fmt.Fprintln(stdout, "batched:   one goroutine claims for all free workers in one query (as the runner does) → N workers: handler → Complete")
	fmt.Fprintln(stdout, "runner:    jobs.Runner (claim loop, a goroutine + context + deadline + heartbeat per attempt), the same handler")
	fmt.Fprintf(stdout, "troupe:    app.Queue: the runner, then an exchange along access_log (zap JSON to io.Discard) · timeout (%s) · troupe.Handler; enqueue route POST /QUEUE\n", bench.JobsTimeout)
	fmt.Fprintln(stdout, "handler:   answers \"sent\" (the job's result); the stores: sqlitestore (temporary file), pgstore (a schema of its own)")

	var errs []error
	for _, kind := range c.jobs.stores {
		rounds, err := runJobStore(ctx, c, kind, log, stdout)
		rep.Rounds = append(rep.Rounds, rounds...)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", kind, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	rep.Summaries = summarizeJobs(rep.Rounds)
	if len(rep.Summaries) > 0 {
		fmt.Fprintf(stdout, "\nload average at the end: %s\n\n", loadAverage())
		printJobs(stdout, rep.Summaries, c.rounds)
	}
	if c.jsonOut != "" && len(rep.Rounds) > 0 {
		if err := writeJSONFile(c.jsonOut, rep); err != nil {
			errs = append(errs, err)
		} else {
			fmt.Fprintf(stdout, "\nraw rounds written to %s\n", c.jsonOut)
		}
	}
	return errors.Join(errs...)
}

// jobsCommand returns the effective command line of a jobs run.
func (c *config) jobsCommand() string {
	conns := make([]string, len(c.conns))
	for i, n := range c.conns {
		conns[i] = fmt.Sprint(n)
	}
	s := fmt.Sprintf("-scenario jobs -stores %s -conns %s -rounds %d -jobs %d",
		strings.Join(c.jobs.stores, ","), strings.Join(conns, ","), c.rounds, c.jobs.perRound)
	if c.jsonOut != "" {
		s += " -json " + c.jsonOut
	}
	return s
}

// runJobStore opens one store and runs every concurrency's rounds on it.
func runJobStore(ctx context.Context, c *config, kind string, log *zap.Logger, stdout io.Writer) ([]*jobRound, error) {
	var s jobs.Store
	switch kind {
	case storeSQLite:
		dir, err := os.MkdirTemp("", "httpbench-jobs-*")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		if s, err = bench.OpenSQLiteJobs(ctx, dir); err != nil {
			return nil, err
		}
		defer s.Close()
		fmt.Fprintf(stdout, "\n== %s: %s\n", kind, dir)
	case storePostgres:
		dsn := os.Getenv(postgresEnv)
		if dsn == "" {
			fmt.Fprintf(stdout, "\n== %s: SKIPPED, $%s is not set (a postgres:// URL; .ci/postgres.sh starts a server)\n", kind, postgresEnv)
			return nil, nil
		}
		version, err := bench.PostgresVersion(ctx, dsn)
		if err != nil {
			return nil, err
		}
		schema := fmt.Sprintf("httpbench_%d", os.Getpid())
		st, drop, err := bench.OpenPostgresJobs(ctx, dsn, schema)
		if err != nil {
			return nil, err
		}
		defer func() {
			if err := drop(context.Background()); err != nil {
				fmt.Fprintf(os.Stderr, "httpbench: dropping schema %s: %v\n", schema, err)
			}
		}()
		s = st
		fmt.Fprintf(stdout, "\n== %s: PostgreSQL %s, schema %s\n", kind, version, schema)
	}
	store := bench.NewCountingStore(s)
	var out []*jobRound
	for _, conc := range c.conns {
		rounds, err := runJobConcurrency(ctx, c, kind, store, conc, log, stdout)
		out = append(out, rounds...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// runJobConcurrency makes the consumers at one concurrency, warms each up
// and runs the interleaved rounds.
func runJobConcurrency(ctx context.Context, c *config, kind string, store *bench.CountingStore, conc int, log *zap.Logger, stdout io.Writer) (out []*jobRound, err error) {
	queue := func(name string) string { return fmt.Sprintf("%s-c%d", name, conc) }
	consumers := map[string]bench.JobConsumer{
		consumerPlain:   bench.NewJobsPool(store, queue(consumerPlain), conc),
		consumerBatched: bench.NewJobsBatchedPool(store, queue(consumerBatched), conc),
	}
	defer func() {
		for _, name := range jobConsumers {
			if cons, ok := consumers[name]; ok {
				sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if cerr := cons.Close(sctx); cerr != nil {
					err = errors.Join(err, fmt.Errorf("closing %s: %w", name, cerr))
				}
				cancel()
			}
		}
	}()
	rn, err := bench.NewJobsRunner(store, queue(consumerRunner), conc)
	if err != nil {
		return nil, err
	}
	consumers[consumerRunner] = rn
	tr, err := bench.NewJobsTroupe(store, queue(consumerTroupe), conc, log, bench.NewAccessLogger(io.Discard))
	if err != nil {
		return nil, err
	}
	consumers[consumerTroupe] = tr

	warm := max(4, c.jobs.perRound/4)
	for _, name := range jobConsumers {
		if _, err := drainRound(ctx, store, consumers[name], warm, conc); err != nil {
			return nil, fmt.Errorf("warm-up of %s: %w", name, err)
		}
	}
	for r := 1; r <= c.rounds; r++ {
		for _, name := range jobConsumers {
			rd, err := drainRound(ctx, store, consumers[name], c.jobs.perRound, conc)
			if err != nil {
				return out, fmt.Errorf("%s, concurrency %d, round %d: %w", name, conc, r, err)
			}
			rd.Store, rd.Concurrency, rd.Round, rd.Consumer = kind, conc, r, name
			out = append(out, rd)
			fmt.Fprintf(stdout, "%-8s c=%-3d round %d/%d %-7s %8s jobs/s  %8.1f µs/job  CPU %7.1f µs/job  %6.0f allocs/job  %7s B/job  (enqueued at %s/s)\n",
				kind, conc, r, c.rounds, name, thousands(rd.JobsPerS), rd.UsPerJob, rd.CPUUsPerJob, rd.AllocsPerJob, thousands(rd.BytesPerJob), thousands(rd.EnqueuePerS))
		}
	}
	return out, nil
}

// drainRound enqueues n-1 jobs for cons on the store, then times cons
// enqueueing the last and draining all n.
func drainRound(ctx context.Context, store *bench.CountingStore, cons bench.JobConsumer, n, conc int) (*jobRound, error) {
	ctx, cancel := context.WithTimeout(ctx, jobsDrainLimit)
	defer cancel()
	done := store.Await(n)
	t := time.Now()
	if err := bench.EnqueueJobs(ctx, store, cons.Queue(), n-1, conc); err != nil {
		return nil, err
	}
	enqueued := time.Since(t)
	runtime.GC() // the enqueue's garbage is not the drain's cost
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0, err := processCPU()
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := cons.Drain(ctx, done); err != nil {
		return nil, err
	}
	elapsed := time.Since(t0)
	cpu1, err := processCPU()
	if err != nil {
		return nil, err
	}
	runtime.ReadMemStats(&m1)
	perJob := func(v float64) float64 { return v / float64(n) }
	return &jobRound{
		Jobs: n, ElapsedS: elapsed.Seconds(),
		JobsPerS:     float64(n) / elapsed.Seconds(),
		UsPerJob:     perJob(us(elapsed)),
		CPUUsPerJob:  perJob(us(cpu1 - cpu0)),
		AllocsPerJob: perJob(float64(m1.Mallocs - m0.Mallocs)),
		BytesPerJob:  perJob(float64(m1.TotalAlloc - m0.TotalAlloc)),
		EnqueuePerS:  float64(n-1) / enqueued.Seconds(),
	}, nil
}

// summarizeJobs groups rounds by store and concurrency, in the order they
// ran, and computes each group's medians and paired comparisons.
func summarizeJobs(rounds []*jobRound) []*jobSummary {
	var out []*jobSummary
	groups := map[string][]*jobRound{}
	for _, r := range rounds {
		key := fmt.Sprintf("%s/%d", r.Store, r.Concurrency)
		if _, ok := groups[key]; !ok {
			out = append(out, &jobSummary{Store: r.Store, Concurrency: r.Concurrency, Consumers: map[string]jobFigures{}})
		}
		groups[key] = append(groups[key], r)
	}
	for _, s := range out {
		g := groups[fmt.Sprintf("%s/%d", s.Store, s.Concurrency)]
		byConsumer := map[string]map[int]*jobRound{}
		for _, r := range g {
			if byConsumer[r.Consumer] == nil {
				byConsumer[r.Consumer] = map[int]*jobRound{}
			}
			byConsumer[r.Consumer][r.Round] = r
		}
		for name, rs := range byConsumer {
			var list []*jobRound
			for _, r := range rs {
				list = append(list, r)
			}
			s.Consumers[name] = jobFigures{
				JobsPerS:     median(list, func(r *jobRound) float64 { return r.JobsPerS }),
				UsPerJob:     median(list, func(r *jobRound) float64 { return r.UsPerJob }),
				CPUUsPerJob:  median(list, func(r *jobRound) float64 { return r.CPUUsPerJob }),
				AllocsPerJob: median(list, func(r *jobRound) float64 { return r.AllocsPerJob }),
				BytesPerJob:  median(list, func(r *jobRound) float64 { return r.BytesPerJob }),
				EnqueuePerS:  median(list, func(r *jobRound) float64 { return r.EnqueuePerS }),
			}
		}
		for _, cmp := range jobComparisons {
			num, den := byConsumer[cmp.num], byConsumer[cmp.den]
			jc := &jobComparison{Name: cmp.name()}
			for round := 1; round <= len(num); round++ {
				a, b := num[round], den[round]
				if a == nil || b == nil {
					continue
				}
				jc.PerRound = append(jc.PerRound, jobFigures{
					JobsPerS: a.JobsPerS / b.JobsPerS, UsPerJob: a.UsPerJob / b.UsPerJob, CPUUsPerJob: a.CPUUsPerJob / b.CPUUsPerJob,
				})
				jc.PerAdded = append(jc.PerAdded, jobFigures{
					UsPerJob: a.UsPerJob - b.UsPerJob, CPUUsPerJob: a.CPUUsPerJob - b.CPUUsPerJob,
					AllocsPerJob: a.AllocsPerJob - b.AllocsPerJob, BytesPerJob: a.BytesPerJob - b.BytesPerJob,
				})
			}
			if len(jc.PerRound) == 0 {
				continue
			}
			jc.Ratio = jobFigures{
				JobsPerS:    median(jc.PerRound, func(f jobFigures) float64 { return f.JobsPerS }),
				UsPerJob:    median(jc.PerRound, func(f jobFigures) float64 { return f.UsPerJob }),
				CPUUsPerJob: median(jc.PerRound, func(f jobFigures) float64 { return f.CPUUsPerJob }),
			}
			jc.Added = jobFigures{
				UsPerJob:     median(jc.PerAdded, func(f jobFigures) float64 { return f.UsPerJob }),
				CPUUsPerJob:  median(jc.PerAdded, func(f jobFigures) float64 { return f.CPUUsPerJob }),
				AllocsPerJob: median(jc.PerAdded, func(f jobFigures) float64 { return f.AllocsPerJob }),
				BytesPerJob:  median(jc.PerAdded, func(f jobFigures) float64 { return f.BytesPerJob }),
			}
			s.Comparisons = append(s.Comparisons, jc)
		}
	}
	return out
}

// printJobs prints the summaries: each consumer's medians, then each
// comparison's paired ratio and added cost, then the per-round figures.
func printJobs(w io.Writer, sums []*jobSummary, rounds int) {
	fmt.Fprintf(w, "Medians over %d rounds (comparisons: medians of the per-round paired ratios and differences)\n", rounds)
	fmt.Fprintf(w, "%-8s %4s  %-14s %9s %9s %11s %11s %9s %10s\n", "store", "conc", "consumer", "jobs/s", "µs/job", "CPU µs/job", "allocs/job", "B/job", "enqueue/s")
	for _, s := range sums {
		for _, name := range jobConsumers {
			f, ok := s.Consumers[name]
			if !ok {
				continue
			}
			fmt.Fprintf(w, "%-8s %4d  %-14s %9s %9.1f %11.1f %11.0f %9s %10s\n",
				s.Store, s.Concurrency, name, thousands(f.JobsPerS), f.UsPerJob, f.CPUUsPerJob, f.AllocsPerJob, thousands(f.BytesPerJob), thousands(f.EnqueuePerS))
		}
		for _, c := range s.Comparisons {
			fmt.Fprintf(w, "%-8s %4d  %-14s %9.2f %9s %11s %11s %9s\n", s.Store, s.Concurrency, c.Name,
				c.Ratio.JobsPerS, signed(c.Added.UsPerJob), signed(c.Added.CPUUsPerJob), signed(c.Added.AllocsPerJob), signedThousands(c.Added.BytesPerJob))
			fmt.Fprintf(w, "%-8s %4s  %-14s %9s %8.2f× %10.2f×\n", "", "", "", "", c.Ratio.UsPerJob, c.Ratio.CPUUsPerJob)
		}
	}
	fmt.Fprintln(w, "\nComparison rows: jobs/s is the ratio; µs/job, CPU µs/job, allocs/job and B/job are what the first adds per job")
	fmt.Fprintln(w, "to the second (the line below: the same as ratios).")
	for _, s := range sums {
		for _, c := range s.Comparisons {
			fmt.Fprintf(w, "\nPer-round %s, %s c=%d (jobs/s ratio | µs/job added | CPU µs/job added):\n  ", c.Name, s.Store, s.Concurrency)
			for _, f := range c.PerRound {
				fmt.Fprintf(w, "%.2f ", f.JobsPerS)
			}
			fmt.Fprint(w, "|")
			for _, f := range c.PerAdded {
				fmt.Fprintf(w, " %s", signed(f.UsPerJob))
			}
			fmt.Fprint(w, " |")
			for _, f := range c.PerAdded {
				fmt.Fprintf(w, " %s", signed(f.CPUUsPerJob))
			}
			fmt.Fprintln(w)
		}
	}
}

// signed formats v with one decimal and its sign.
func signed(v float64) string { return fmt.Sprintf("%+.1f", v) }

// signedThousands formats v rounded, with its sign and thousands
// separators.
func signedThousands(v float64) string {
	if v < 0 {
		return "-" + thousands(-v)
	}
	return "+" + thousands(v)
}

// loadAverage returns /proc/loadavg's three load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// writeJSONFile writes v to path as indented JSON.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
