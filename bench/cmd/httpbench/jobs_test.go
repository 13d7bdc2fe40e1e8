package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestJobsFlags: the jobs scenario's defaults, its own flags' checks, and
// that its concurrencies need not cover wrk's threads.
func TestJobsFlags(t *testing.T) {
	c, err := parseFlags([]string{"-scenario", "jobs"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.conns, []int{4, 16}) || c.jobs.perRound != 2000 || !slices.Equal(c.jobs.stores, []string{storeSQLite, storePostgres}) {
		t.Errorf("defaults: conns %v, jobs %d, stores %v; want [4 16], 2000, [sqlite postgres]", c.conns, c.jobs.perRound, c.jobs.stores)
	}
	if c, err := parseFlags([]string{"-scenario", "jobs", "-conns", "1", "-stores", "postgres"}, io.Discard); err != nil || !slices.Equal(c.jobs.stores, []string{storePostgres}) {
		t.Errorf("-conns 1 -stores postgres: %v, stores %v", err, c.jobs.stores)
	}
	for _, bad := range [][]string{{"-jobs", "3"}, {"-stores", "mysql"}, {"-stores", "sqlite,sqlite"}} {
		if _, err := parseFlags(append([]string{"-scenario", "jobs"}, bad...), io.Discard); err == nil {
			t.Errorf("parseFlags(%q) = nil error, want one", bad)
		}
	}
}

// TestSummarizeJobs: each consumer's medians, and the comparisons paired
// round by round: ratios of jobs/s, differences of µs/job and allocations.
func TestSummarizeJobs(t *testing.T) {
	var rounds []*jobRound
	add := func(r int, consumer string, jobsPerS, cpu, allocs float64) {
		rounds = append(rounds, &jobRound{Store: storeSQLite, Concurrency: 4, Round: r, Consumer: consumer,
			JobsPerS: jobsPerS, UsPerJob: 1e6 / jobsPerS, CPUUsPerJob: cpu, AllocsPerJob: allocs, BytesPerJob: 100 * allocs})
	}
	// Round 2 is twice as slow for everyone (the machine was busy): the
	// paired ratios do not move, the differences double.
	for r, slow := range []float64{1, 2, 1} {
		add(r+1, consumerPlain, 1000/slow, 100*slow, 40)
		add(r+1, consumerBatched, 1000/slow, 100*slow, 40)
		add(r+1, consumerRunner, 800/slow, 120*slow, 50)
		add(r+1, consumerTroupe, 500/slow, 150*slow, 70)
	}
	sums := summarizeJobs(rounds)
	if len(sums) != 1 {
		t.Fatalf("%d summaries, want 1", len(sums))
	}
	s := sums[0]
	if got := s.Consumers[consumerTroupe]; got.JobsPerS != 500 || got.UsPerJob != 2000 || got.AllocsPerJob != 70 {
		t.Errorf("troupe's medians = %+v, want 500 jobs/s, 2000 µs/job, 70 allocs/job", got)
	}
	if len(s.Comparisons) != len(jobComparisons) {
		t.Fatalf("%d comparisons, want %d", len(s.Comparisons), len(jobComparisons))
	}
	tp := s.Comparisons[0]
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if tp.Name != "troupe/plain" || !near(tp.Ratio.JobsPerS, 0.5) || !near(tp.Ratio.UsPerJob, 2) ||
		!near(tp.Added.UsPerJob, 1000) || !near(tp.Added.CPUUsPerJob, 50) || !near(tp.Added.AllocsPerJob, 30) {
		t.Errorf("troupe/plain = %+v ratio %+v added %+v; want jobs/s 0.5, µs/job 2×, +1000 µs, +50 CPU µs, +30 allocs",
			tp.Name, tp.Ratio, tp.Added)
	}
	var out bytes.Buffer
	printJobs(&out, sums, 3)
	for _, want := range []string{"sqlite      4  troupe/plain        0.50   +1000.0       +50.0       +30.0    +3,000", "0.50 0.50 0.50 | +1000.0 +2000.0 +1000.0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, out.String())
		}
	}
}

// TestJobsSmoke runs the scenario for real on SQLite, one small round per
// consumer, and with PostgreSQL's DSN unset: every consumer gets a row,
// and PostgreSQL is skipped with a message.
func TestJobsSmoke(t *testing.T) {
	t.Setenv(postgresEnv, "")
	c, err := parseFlags([]string{"-scenario", "jobs", "-rounds", "1", "-jobs", "20", "-conns", "2"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := runJobs(ctx, c, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"sqlite      2  plain", "sqlite      2  batched", "sqlite      2  runner", "sqlite      2  troupe", "sqlite      2  troupe/plain",
		"== postgres: SKIPPED, $TROUPE_TEST_POSTGRES is not set"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
}
