package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestCrashNoJobLost builds the server, enqueues 10,000 jobs over HTTP on
// loopback, SIGKILLs the server half-way, restarts it on the same store
// (a SQLite file; a PostgreSQL schema) and enqueues the rest: every job the server accepted (202), and
// every one the client sent again with its Idempotency-Key after the
// crash, completes at least once. The handler (job_log) writes one line
// per execution; duplicates are reported and held to 1%. Skipped under
// -short.
func TestCrashNoJobLost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server twice per store: skipped under -short")
	}
	bin := filepath.Join(t.TempDir(), "server")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("sqlite", func(t *testing.T) { crash(t, bin, filepath.Join(t.TempDir(), "jobs.db")) })
	t.Run("postgres", func(t *testing.T) { crash(t, bin, postgresSchema(t)) })
}

// postgresSchema returns the DSN of a schema of its own in the test
// database (TROUPE_TEST_POSTGRES; .ci/postgres.sh starts one), dropped when
// the test ends. Without the variable the test is skipped, except under
// CI=true, where it fails.
func postgresSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv("TROUPE_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TROUPE_TEST_POSTGRES is not set: CI runs the crash test on PostgreSQL too (see .ci/postgres.sh)")
		}
		t.Skip("TROUPE_TEST_POSTGRES is not set (see .ci/postgres.sh)")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("troupe_crash_%d", os.Getpid())
	if _, err := admin.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE; CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE")
		admin.Close(context.Background())
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + name
}

// crash runs the crash scenario with the server binary bin on store (a
// SQLite file or a postgres:// URL).
func crash(t *testing.T, bin, store string) {
	const total = 10_000
	dir := t.TempDir()
	addr := freeAddr(t)
	logFile := filepath.Join(dir, "executions.log")
	cfgFile := filepath.Join(dir, "crash.yaml")
	// The lease bounds how long the jobs running at the kill wait before
	// they run again; the poll bounds the idle wait for new jobs.
	cfg := fmt.Sprintf(`server: {addr: %q}
admin: {addr: "off"}
log: {level: error}
jobs:
  store: %q
  queues:
    - name: count
      handler: job_log
      options: {file: %q}
      concurrency: 16
      lease: 2s
      poll: 20ms
routes:
  - {method: POST, path: /count, enqueue: count}
`, addr, store, logFile)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "-config", cfgFile)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitListening(t, addr)
		return cmd
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	var accepted atomic.Int64
	// send enqueues jobs from..to-1 with 8 clients, and returns those
	// not acknowledged (the server died under them).
	send := func(ids []int, stopAt int64, kill func()) []int {
		var mu sync.Mutex
		var failed []int
		var next atomic.Int64
		var killOnce sync.Once
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= len(ids) {
						return
					}
					id := ids[i]
					req, _ := http.NewRequest("POST", "http://"+addr+"/count", strings.NewReader(strconv.Itoa(id)))
					req.Header.Set("Idempotency-Key", "job-"+strconv.Itoa(id))
					res, err := client.Do(req)
					if err == nil {
						res.Body.Close()
					}
					if err != nil || res.StatusCode != http.StatusAccepted {
						mu.Lock()
						failed = append(failed, id)
						mu.Unlock()
						continue
					}
					if accepted.Add(1) == stopAt && kill != nil {
						killOnce.Do(kill)
					}
				}
			})
		}
		wg.Wait()
		return failed
	}

	all := make([]int, total)
	for i := range all {
		all[i] = i
	}
	began := time.Now()
	srv := start()
	failed := send(all, total/2, func() {
		if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
			t.Errorf("SIGKILL: %v", err)
		}
	})
	_ = srv.Wait()
	killedAt := accepted.Load()
	t.Logf("SIGKILL after %d accepted; %d requests unanswered, to send again", killedAt, len(failed))
	client.CloseIdleConnections()

	srv = start()
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
	}()
	if again := send(failed, -1, nil); len(again) > 0 {
		t.Fatalf("%d jobs refused after the restart, e.g. %d", len(again), again[0])
	}

	// Every job completes: wait for all 10,000 payloads in the log.
	var counts map[int]int
	deadline := time.Now().Add(3 * time.Minute) // 10,000 SQLite jobs take seconds; this bounds a hang
	for {
		counts = readCounts(t, logFile)
		if len(counts) == total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs executed after 3 minutes", len(counts), total)
		}
		time.Sleep(50 * time.Millisecond) // watching a file another process writes
	}
	dups := 0
	for _, c := range counts {
		dups += c - 1
	}
	t.Logf("%d jobs, each executed at least once, %d duplicate executions (%.2f%%), in %s",
		total, dups, 100*float64(dups)/total, time.Since(began).Round(time.Millisecond))
	if dups > total/100 {
		t.Errorf("%d duplicate executions, over 1%% of %d", dups, total)
	}
}

func readCounts(t *testing.T, path string) map[int]int {
	t.Helper()
	counts := map[int]int{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return counts
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		id, err := strconv.Atoi(sc.Text())
		if err != nil {
			continue // a line being written
		}
		counts[id]++
	}
	return counts
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitListening waits until addr accepts connections: the server has
// started (it takes the SQLite file first).
func waitListening(t *testing.T, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("the server did not listen on %s within 30 s", addr)
		}
		time.Sleep(10 * time.Millisecond) // polling another process's socket
	}
}
