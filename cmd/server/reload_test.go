package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// reloadConfig is the configuration of the reload tests, version v: the
// header stage's options change with every version, and /extra is served
// by odd versions only. /limited's bucket holds one request per key and
// refills one every 1000 s: drained, it stays drained for the test. The
// adaptive limit is off: on a loaded machine under -race it may shed some
// of the 64 connections' requests (503), which is overload at work, not
// the reloads under test.
func reloadConfig(v int) string {
	extra := ""
	if v%2 == 1 {
		extra = "  - {method: GET, path: /extra, handler: hello}\n"
	}
	return fmt.Sprintf(`server: {max_in_flight: 4096, overload: {adaptive: false}}
stages:
  version: {kind: header, options: {name: X-Version, value: "%d"}}
  drained: {kind: rate_limit, options: {rate: 0.001, burst: 1, key: "header:X-Key"}}
routes:
  - {method: GET, path: /hello, handler: hello, stages: [version]}
  - {method: GET, path: /limited, handler: hello, stages: [drained]}
%s`, v, extra)
}

// startReloading runs the command with args like start, and returns a
// channel that receives the outcome of each reload.
func startReloading(t *testing.T, args ...string) (*server, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	s := &server{logs: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	type addrs struct{ addr, admin net.Addr }
	ready := make(chan addrs, 1)
	reloads := make(chan error, 64) // more than any test reloads; never blocks the server
	rc := runConfig{
		ready:    func(addr, admin net.Addr) { ready <- addrs{addr, admin} },
		reloaded: func(_ *reloadReport, err error) { reloads <- err },
	}
	go func() { s.done <- rc.run(ctx, args, io.Discard, s.logs) }()
	select {
	case a := <-ready:
		s.base, s.admin = "http://"+a.addr.String(), "http://"+a.admin.String()
	case err := <-s.done:
		cancel()
		t.Fatalf("run(%q) = %v before serving; logs:\n%s", args, err, s.logs)
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return s, reloads
}

// get sends a GET with the header pairs given and returns the status.
func get(t *testing.T, c *http.Client, url string, header ...string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// postReload asks the admin listener to reload and returns the status and
// the body.
func postReload(t *testing.T, c *http.Client, admin string) (int, string) {
	t.Helper()
	res, err := c.Post(admin+"/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// Reload under load: 64 connections send requests for as long as 20
// reloads take, each reload adding or removing /extra and changing the
// header stage's options. Every request is answered (no connection
// error), /hello always 200, /extra 200 or 404 (it comes and goes), and
// a rate-limit bucket drained before the reloads is still drained after
// them (its stage did not change: its actors and buckets carried over).
func TestReloadUnderLoad(t *testing.T) {
	path := writeFile(t, "c.yaml", reloadConfig(0))
	srv, _ := startReloading(t, "-config", path, "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0")
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	if a, b := get(t, client, srv.base+"/limited", "X-Key", "k"), get(t, client, srv.base+"/limited", "X-Key", "k"); a != 200 || b != 429 {
		t.Fatalf("draining the bucket: %d then %d, want 200 then 429", a, b)
	}

	const conns = 64
	var (
		stop                atomic.Bool
		requests, errs, odd atomic.Int64
		hello, extra, gone  atomic.Int64
		firstErr            sync.Once
		firstErrText        atomic.Value
		workers             sync.WaitGroup
	)
	for range conns {
		// One client and one connection per worker: 64 connections.
		c := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
		workers.Go(func() {
			defer c.CloseIdleConnections()
			for i := 0; !stop.Load(); i++ {
				path := "/hello"
				if i%2 == 1 {
					path = "/extra"
				}
				res, err := c.Get(srv.base + path)
				requests.Add(1)
				if err != nil {
					errs.Add(1)
					firstErr.Do(func() { firstErrText.Store(err.Error()) })
					continue
				}
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				switch {
				case err != nil:
					errs.Add(1)
					firstErr.Do(func() { firstErrText.Store(err.Error()) })
				case path == "/hello" && res.StatusCode == 200:
					hello.Add(1)
				case path == "/extra" && res.StatusCode == 200:
					extra.Add(1)
				case path == "/extra" && res.StatusCode == 404:
					gone.Add(1)
				default:
					odd.Add(1)
				}
			}
		})
	}
	// 20 reloads, one every 150 ms (3 s in all): the pace of the load
	// test, not a wait for anything.
	tick := time.NewTicker(150 * time.Millisecond)
	for v := 1; v <= 20; v++ {
		<-tick.C
		if err := os.WriteFile(path, []byte(reloadConfig(v)), 0o600); err != nil {
			t.Fatal(err)
		}
		if status, body := postReload(t, client, srv.admin); status != 200 {
			t.Fatalf("reload %d: %d %s", v, status, body)
		}
	}
	tick.Stop()
	stop.Store(true)
	workers.Wait()

	t.Logf("%d requests on %d connections over 20 reloads: /hello 200 ×%d, /extra 200 ×%d, /extra 404 ×%d; %d connection errors, %d unexpected statuses",
		requests.Load(), conns, hello.Load(), extra.Load(), gone.Load(), errs.Load(), odd.Load())
	if n := errs.Load(); n != 0 {
		t.Errorf("%d connection errors (the first: %v)", n, firstErrText.Load())
	}
	if n := odd.Load(); n != 0 {
		t.Errorf("%d answers other than /hello 200 and /extra 200 or 404", n)
	}
	if extra.Load() == 0 || gone.Load() == 0 {
		t.Errorf("/extra was never served or never removed: 200 ×%d, 404 ×%d", extra.Load(), gone.Load())
	}
	if got := get(t, client, srv.base+"/limited", "X-Key", "k"); got != 429 {
		t.Errorf("after 20 reloads: /limited %d for the drained key, want 429 (its bucket survives)", got)
	}
	if got := get(t, client, srv.base+"/limited", "X-Key", "other"); got != 200 {
		t.Errorf("after 20 reloads: /limited %d for a new key, want 200", got)
	}
}

// A bad configuration posted to /reload is refused 422 with its FILE:LINE
// errors, and the running one goes on; SIGHUP reloads a good one.
func TestReloadRefusesABadConfigAndKeepsServing(t *testing.T) {
	path := writeFile(t, "c.yaml", reloadConfig(0))
	srv, reloads := startReloading(t, "-config", path, "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0")
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	bad := strings.Replace(reloadConfig(1), "handler: hello}\n", "handler: nope}\n", 1)
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	status, body := postReload(t, client, srv.admin)
	var problem struct {
		Status int      `json:"status"`
		Errors []string `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &problem); err != nil {
		t.Fatalf("%d %s: %v", status, body, err)
	}
	if status != http.StatusUnprocessableEntity || problem.Status != status || len(problem.Errors) != 1 ||
		!strings.HasPrefix(problem.Errors[0], path+":8: ") || !strings.Contains(problem.Errors[0], `"nope"`) {
		t.Errorf("bad config: %d %s; want 422 with the error at %s:8", status, body, path)
	}
	if err := <-reloads; err == nil {
		t.Error("the bad reload was reported as done")
	}
	if got := get(t, client, srv.base+"/hello"); got != 200 {
		t.Errorf("/hello after the refused reload: %d, want 200", got)
	}
	if got := get(t, client, srv.base+"/extra"); got != 404 {
		t.Errorf("/extra after the refused reload: %d, want 404 (the old config serves)", got)
	}

	if err := os.WriteFile(path, []byte(reloadConfig(1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-reloads:
		if err != nil {
			t.Fatalf("SIGHUP's reload: %v", err)
		}
	case <-time.After(10 * time.Second): // a signal's delivery, on a loaded machine
		t.Fatal("SIGHUP did not reload")
	}
	if got := get(t, client, srv.base+"/extra"); got != 200 {
		t.Errorf("/extra after SIGHUP: %d, want 200", got)
	}
}

// With -watch, a change to the file reloads it; a reload's answer names
// what changed and the settings that need a restart.
func TestWatchReloadsTheChangedFile(t *testing.T) {
	path := writeFile(t, "c.yaml", reloadConfig(0))
	srv, reloads := startReloading(t, "-config", path, "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0", "-watch")
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	if err := os.WriteFile(path, []byte(reloadConfig(1)), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-reloads:
		if err != nil {
			t.Fatalf("the watch's reload: %v", err)
		}
	case <-time.After(10 * time.Second): // the debounce is 250 ms; the rest is for a loaded machine
		t.Fatal("changing the file did not reload it")
	}
	if got := get(t, client, srv.base+"/extra"); got != 200 {
		t.Errorf("/extra after the watch's reload: %d, want 200", got)
	}

	// The admin's answer: the route removed, the stage replaced, and a
	// change of max_in_flight that waits for a restart.
	if err := os.WriteFile(path, []byte(strings.Replace(reloadConfig(2), "4096", "2048", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	status, body := postReload(t, client, srv.admin)
	var rep struct {
		RoutesRemoved  []string `json:"routes_removed"`
		StagesReplaced []string `json:"stages_replaced"`
		StagesKept     []string `json:"stages_kept"`
		NeedsRestart   []string `json:"needs_restart"`
	}
	if err := json.Unmarshal([]byte(body), &rep); err != nil || status != 200 {
		t.Fatalf("reload: %d %s (%v)", status, body, err)
	}
	if fmt.Sprint(rep.RoutesRemoved) != "[GET /extra]" || fmt.Sprint(rep.StagesReplaced) != "[version]" ||
		!strings.Contains(fmt.Sprint(rep.StagesKept), "drained") || fmt.Sprint(rep.NeedsRestart) != "[server.max_in_flight]" {
		t.Errorf("reload's answer: %s", body)
	}
}
