//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const chromium = "/usr/bin/chromium"

// The live page on the admin listener, in headless Chromium, against the
// embedded default config: the page lists the config's stages and routes;
// then, without a reload, the flaky stage's restart count rises after a
// request that makes it panic, and the demo upstream's breaker shows open
// after the upstream fails. The test reads the page's DOM through the
// DevTools protocol, so what it checks is what the page's script rendered
// from the server's event stream.
func TestLivePageInBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s not found: install it with `apt-get install -y chromium` (Debian) to run this test", chromium)
	}
	srv := start(t, "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0")
	defer srv.stop()
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	b := launch(t)
	defer b.close()
	b.open(srv.admin + "/")

	// The first render: every stage of the default config's routes, in the
	// supervision tree, and every route with its itinerary.
	stages := b.waitFor("the tree lists the default config's stages", `JSON.stringify([...new Set([...document.querySelectorAll("#tree [data-stage]")].map(e => e.dataset.stage))])`,
		func(v string) bool { return strings.Contains(v, `"item-cache"`) })
	var got []string
	if err := json.Unmarshal([]byte(stages), &got); err != nil {
		t.Fatalf("stages %s: %v", stages, err)
	}
	for _, want := range []string{"server-header", "access-log", "maintenance", "demo-header", "flaky", "fragile",
		"api-cors", "api-key", "api-rate-limit", "item-schema", "item-cache", "GET /hello", "POST /demo/score", "GET /api/items/{id}"} {
		if !slices.Contains(got, want) {
			t.Errorf("the supervision tree lacks stage %q; it has %q", want, got)
		}
	}
	if kind := b.eval(`document.querySelector('[data-hop="api-rate-limit"] .kind').textContent`); kind != "partitioned" {
		t.Errorf("the api-rate-limit hop's kind is shown as %q, want partitioned", kind)
	}
	itinerary := b.eval(`document.querySelector('[data-route="POST /api/items"] .itinerary').textContent`)
	if want := "server-header+access-log+maintenance+api-cors+api-key → api-rate-limit → item-schema+POST /api/items"; itinerary != want {
		t.Errorf("POST /api/items's itinerary is shown as %q, want %q", itinerary, want)
	}
	if title := b.eval(`document.title`); title != "troupe live" {
		t.Errorf("title %q, want troupe live", title)
	}

	// A panic in the flaky stage: its restarts rise on the page as it stands.
	restarts := `document.querySelector('[data-stage="flaky"] .restarts').textContent`
	before, err := strconv.Atoi(b.eval(restarts))
	if err != nil {
		t.Fatalf("flaky's restarts: %v", err)
	}
	if status, _, _ := call(t, client, http.MethodGet, srv.base+"/demo/flaky?panic=1", ""); status != http.StatusInternalServerError {
		t.Fatalf("GET /demo/flaky?panic=1 = %d, want 500", status)
	}
	b.waitFor("flaky's restart count rises", restarts, func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && n > before
	})
	if reason := b.eval(`document.querySelector('[data-stage="flaky"] .reason').textContent`); !strings.Contains(reason, "simulated failure") {
		t.Errorf("flaky's last failure is shown as %q, want the panic's value", reason)
	}

	// The demo upstream fails every call: the breaker opens (after 5
	// failures in a row) and the page shows it open, with the time left.
	state := `document.querySelector('[data-upstream="GET /demo/upstream"] .state').textContent`
	if s := b.eval(state); s != "closed" {
		t.Fatalf("the breaker is shown %q before any failure, want closed", s)
	}
	if status, _, body := call(t, client, http.MethodPut, srv.admin+"/demo/upstream", `{"error_rate":1.0}`); status != http.StatusOK {
		t.Fatalf("PUT /demo/upstream = %d %s", status, body)
	}
	// Five calls make at least five failed attempts in a row (a retry only
	// adds attempts), which opens the breaker; each is answered 503.
	for range 5 {
		if status, _, body := call(t, client, http.MethodGet, srv.base+"/demo/upstream", ""); status != http.StatusServiceUnavailable {
			t.Fatalf("GET /demo/upstream with error_rate 1 = %d %s, want 503", status, body)
		}
	}
	b.waitFor("the breaker shows open", state, func(v string) bool { return v == "open" })
	if left := b.eval(`document.querySelector('[data-upstream="GET /demo/upstream"] .open-for').textContent`); !strings.HasSuffix(left, " s") && !strings.HasSuffix(left, " ms") {
		t.Errorf("the open breaker's time left is shown as %q, want a duration", left)
	}
}

// browser is headless Chromium driven over the DevTools protocol on a pair
// of pipes (--remote-debugging-pipe: it reads commands on fd 3 and writes
// answers on fd 4, each message ending with a NUL byte).
type browser struct {
	t       *testing.T
	cmd     *exec.Cmd
	out     *os.File // commands to Chromium
	session string   // the page's session, once open

	mu      sync.Mutex
	nextID  int
	pending map[int]chan reply
	readErr error

	read sync.WaitGroup // the goroutine reading Chromium's answers
}

// reply is one answer of the protocol.
type reply struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// launch starts Chromium. Its process group is killed by close, and at
// the latest when the test's deadline would pass.
func launch(t *testing.T) *browser {
	t.Helper()
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ansR, ansW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{cmdR, ansW} // fd 3, fd 4
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = time.Second // do not wait for stray helpers holding stderr
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	cmdR.Close()
	ansW.Close()
	b := &browser{t: t, cmd: cmd, out: cmdW, pending: map[int]chan reply{}}
	b.read.Go(func() { b.readAnswers(ansR) })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("chromium's stderr:\n%s", stderr.String())
		}
	})
	return b
}

// readAnswers hands each answer to the call waiting for it, until Chromium
// closes its end; then it fails the calls still waiting.
func (b *browser) readAnswers(f *os.File) {
	defer f.Close()
	r := bufio.NewReader(f)
	var err error
	for {
		var msg []byte
		msg, err = r.ReadBytes(0)
		if err != nil {
			break
		}
		var rp reply
		if json.Unmarshal(msg[:len(msg)-1], &rp) != nil || rp.ID == 0 {
			continue // an event: nothing here waits for one
		}
		b.mu.Lock()
		ch := b.pending[rp.ID]
		delete(b.pending, rp.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- rp
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.readErr = fmt.Errorf("chromium closed the protocol pipe: %w", err)
	for id, ch := range b.pending {
		close(ch)
		delete(b.pending, id)
	}
}

// callTimeout bounds one protocol call: Chromium answers in milliseconds;
// a start on a loaded machine takes seconds.
const callTimeout = 30 * time.Second

// call sends a protocol command and returns its result.
func (b *browser) call(method string, params any, session string) json.RawMessage {
	b.t.Helper()
	ch := make(chan reply, 1)
	b.mu.Lock()
	if b.readErr != nil {
		b.mu.Unlock()
		b.t.Fatal(b.readErr)
	}
	b.nextID++
	id := b.nextID
	b.pending[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.out.Write(append(data, 0)); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	timer := time.NewTimer(callTimeout)
	defer timer.Stop()
	select {
	case rp, ok := <-ch:
		if !ok {
			b.t.Fatalf("%s: chromium exited", method)
		}
		if rp.Error != nil {
			b.t.Fatalf("%s: %s", method, rp.Error.Message)
		}
		return rp.Result
	case <-timer.C:
		b.t.Fatalf("%s: no answer within %s", method, callTimeout)
	}
	return nil
}

// open opens url in a new page and attaches to it.
func (b *browser) open(url string) {
	b.t.Helper()
	var target struct {
		TargetID string `json:"targetId"`
	}
	mustUnmarshal(b.t, b.call("Target.createTarget", map[string]any{"url": url}, ""), &target)
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	mustUnmarshal(b.t, b.call("Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, ""), &attached)
	b.session = attached.SessionID
}

// eval evaluates a JavaScript expression in the page and returns its value
// as a string; "" if it threw (an element not rendered yet).
func (b *browser) eval(expr string) string {
	b.t.Helper()
	var res struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		Exception json.RawMessage `json:"exceptionDetails"`
	}
	mustUnmarshal(b.t, b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, b.session), &res)
	if res.Exception != nil || res.Result.Value == nil {
		return ""
	}
	return fmt.Sprint(res.Result.Value)
}

// waitTimeout bounds a wait for the page to show something: the stream
// pushes a snapshot every second, so it is there within a second or two;
// a loaded 2-core machine under -race can make that several.
const waitTimeout = 20 * time.Second

// waitFor evaluates expr every 50 ms until ok accepts its value, and
// returns that value; it fails the test after waitTimeout.
func (b *browser) waitFor(what, expr string, ok func(string) bool) string {
	b.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		v := b.eval(expr)
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: not within %s; last value %q; page status %q", what, waitTimeout, v, b.eval(`document.getElementById("status").textContent`))
		}
		<-tick.C
	}
}

// close ends Chromium and its helpers, and waits for them and for the
// reading goroutine.
func (b *browser) close() {
	_ = b.out.Close() // Chromium exits when its command pipe closes…
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C: // …or is killed if it does not
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL) // helpers left in its group
	b.read.Wait()
}

func mustUnmarshal(t *testing.T, data json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
}
