//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// jobsPageConfig has one queue whose every attempt fails: its maintenance
// stage is on, so each exchange is answered 503. Two attempts 10 ms apart,
// then the job is dead.
const jobsPageConfig = `log: {level: error}
stages:
  closed: {kind: maintenance, options: {enabled: true, retry_after: 1s, message: closed for the test}}
jobs:
  store: %q
  queues:
    - name: doomed
      handler: echo
      stages: [closed]
      max_attempts: 2
      backoff: {base: 10ms, max: 10ms}
      poll: 50ms
routes:
  - {method: POST, path: /doomed, enqueue: doomed}
`

// The live page's jobs, in headless Chromium: a job that always fails
// dies and appears in the dead-letter list, with its attempts and last
// error, without a reload; its Replay button posts the replay to the
// admin API, the job runs again (its attempts' errors, which the store
// keeps across replays, go from 2 to 4) and dies again.
func TestLivePageJobsInBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s not found: install it with `apt-get install -y chromium` (Debian) to run this test", chromium)
	}
	cfg := writeFile(t, "jobs.yaml", fmt.Sprintf(jobsPageConfig, filepath.Join(t.TempDir(), "jobs.db")))
	srv := start(t, "-config", cfg, "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0")
	defer srv.stop()
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	b := launch(t)
	defer b.close()
	b.open(srv.admin + "/")
	b.waitFor("the queue's row", `document.querySelector('[data-queue="doomed"] .in-use').textContent`,
		func(v string) bool { return v == "0 / 4" })
	if s := b.eval(`document.getElementById("dead").textContent`); s != "none" {
		t.Errorf("the dead-letter list before any job died shows %q, want none", s)
	}

	status, header, body := call(t, client, http.MethodPost, srv.base+"/doomed", `{"to":"nobody"}`)
	if status != http.StatusAccepted {
		t.Fatalf("POST /doomed = %d %s, want 202", status, body)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(header.Get("Location"), "/jobs/"), 10, 64)
	if err != nil {
		t.Fatalf("Location %q: %v", header.Get("Location"), err)
	}
	row := fmt.Sprintf(`document.querySelector('[data-dead-job="%d"]')`, id)
	b.waitFor("the dead job on the page", row+`?.querySelector('.attempts').textContent`, func(v string) bool { return v == "2" })
	if reason := b.eval(row + `.querySelector('.reason').textContent`); !strings.HasPrefix(reason, "503 ") || !strings.Contains(reason, "closed for the test") {
		t.Errorf("the dead job's last error is shown as %q, want the 503 its stage answered", reason)
	}
	if first := b.eval(`document.getElementById("dead").firstChild.nodeName`); first != "TABLE" {
		t.Errorf("the dead-letter list of one job starts with %s, want its table alone", first)
	}
	if dead := b.eval(`document.querySelector('[data-queue="doomed"] .dead').textContent`); dead != "1" {
		t.Errorf("the queue's dead count is shown as %q, want 1", dead)
	}
	if n := deadErrors(t, client, srv.admin, id); n != 2 {
		t.Fatalf("GET /jobs/dead: the job has %d errors before the replay, want 2", n)
	}

	diedAt := b.eval(row + `.querySelector('.died').title`)

	// Replay, from the page.
	if got := b.eval(row + `.querySelector('button.replay').click(), "clicked"`); got != "clicked" {
		t.Fatalf("the Replay button was not found")
	}
	b.waitFor("the page's word that the job is queued again", `document.getElementById("jobs-message").textContent`,
		func(v string) bool { return strings.HasPrefix(v, fmt.Sprintf("job %d queued again (", id)) })
	// The admin API, polled as the page polls the server.
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for n := deadErrors(t, client, srv.admin, id); n != 4; n = deadErrors(t, client, srv.admin, id) {
		if time.Now().After(deadline) {
			t.Fatalf("after the replay the dead job has %d errors, want 4 (two more attempts, dead again), within %s", n, waitTimeout)
		}
		<-tick.C
	}
	// The page lists it again, with its second death's time.
	b.waitFor("the job dead again on the page", row+`?.querySelector('.died').title`,
		func(v string) bool { return v != "" && v != diedAt })
	if a := b.eval(row + `.querySelector('.attempts').textContent`); a != "2" {
		t.Errorf("the job dead again shows %q attempts, want 2 (counted from its replay)", a)
	}
}

// deadErrors returns how many errors GET /jobs/dead lists for job id, or
// -1 if the job is not dead.
func deadErrors(t *testing.T, client *http.Client, admin string, id int64) int {
	t.Helper()
	status, header, body := call(t, client, http.MethodGet, admin+"/jobs/dead?queue=doomed", "")
	if status != http.StatusOK || header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /jobs/dead = %d %q %s", status, header.Get("Content-Type"), body)
	}
	var dead []struct {
		ID     int64             `json:"id"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &dead); err != nil {
		t.Fatalf("GET /jobs/dead: %v\n%s", err, body)
	}
	for _, d := range dead {
		if d.ID == id {
			return len(d.Errors)
		}
	}
	return -1
}
