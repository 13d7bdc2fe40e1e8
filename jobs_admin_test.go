package troupe_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/jobs"
)

// TestDeadLetters: a job that fails its last attempt is dead, listed on
// the admin listener, alerted once by the webhook; a replay runs it again
// (and it dies again: a second alert); replaying a job that is not dead is
// 409, an unknown one 404, as problem+json.
func TestDeadLetters(t *testing.T) {
	var mu sync.Mutex
	var alerts []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		alerts = append(alerts, string(b))
		mu.Unlock()
	}))
	defer hook.Close()
	alertCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(alerts)
	}

	store := openJobStore(t)
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Queue(jobs.Queue{Name: "fragile", MaxAttempts: 2, Poll: 10 * time.Millisecond, Backoff: jobs.Backoff{Base: time.Millisecond}},
			troupe.Handler("fail", func(ex *actors.Exchange) error { return errors.New("always") }))
		app.Queue(jobs.Queue{Name: "fine"}, ok("fine"))
		app.GET("/", ok("root").Stage.Process)
	}, troupe.WithJobStore(store), troupe.WithJobAlertWebhook(hook.URL))

	j, _, err := s.app.Enqueue(t.Context(), "fragile", []byte("x"), jobs.EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, store, j.ID, jobs.Dead)
	waitFor(t, "the alert", func() bool { return alertCount() == 1 })
	mu.Lock()
	first := alerts[0]
	mu.Unlock()
	if !strings.Contains(first, `"state":"dead"`) {
		t.Errorf("alert = %s, want the dead job", first)
	}

	r := s.adminGet(t, "/jobs/dead?queue=fragile")
	var dead []struct {
		ID     int64               `json:"id"`
		State  string              `json:"state"`
		Errors []jobs.AttemptError `json:"errors"`
	}
	if err := json.Unmarshal([]byte(r.body), &dead); err != nil || len(dead) != 1 || dead[0].ID != j.ID || dead[0].State != "dead" {
		t.Fatalf("GET /jobs/dead = %d %s, want the one dead job", r.status, r.body)
	}
	// Both failed attempts' errors, oldest first.
	if e := dead[0].Errors; len(e) != 2 || e[0].Attempt != 1 || e[1].Attempt != 2 ||
		!strings.HasPrefix(e[0].Error, "500 ") || !strings.HasPrefix(e[1].Error, "500 ") {
		t.Errorf("the dead job's errors = %+v, want attempts 1 and 2, each saying why", e)
	}

	post := func(path string) response {
		res, err := s.client.Post(s.admin+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return response{status: res.StatusCode, header: res.Header, body: string(b)}
	}
	if r := post("/jobs/" + strconv.FormatInt(j.ID, 10) + "/replay"); r.status != http.StatusOK {
		t.Fatalf("replay = %d %s", r.status, r.body)
	}
	waitFor(t, "a second alert after the replay died", func() bool { return alertCount() == 2 })
	if got := waitJob(t, store, j.ID, jobs.Dead); len(got.Errors) != 4 {
		t.Errorf("after the replay, %d errors, want 4", len(got.Errors))
	}

	okJob, _, err := s.app.Enqueue(t.Context(), "fine", nil, jobs.EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, store, okJob.ID, jobs.Succeeded)
	if r := post("/jobs/" + strconv.FormatInt(okJob.ID, 10) + "/replay"); r.status != http.StatusConflict ||
		r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("replay of a succeeded job = %d %q, want 409 problem+json", r.status, r.header.Get("Content-Type"))
	}
	if r := post("/jobs/999999/replay"); r.status != http.StatusNotFound {
		t.Errorf("replay of an unknown job = %d, want 404", r.status)
	}
	if r := s.adminGet(t, "/jobs/dead?limit=0"); r.status != http.StatusBadRequest ||
		r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("limit=0 = %d %q, want 400 problem+json", r.status, r.header.Get("Content-Type"))
	}
	if r := post("/jobs/dead"); r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, HEAD" ||
		r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("POST /jobs/dead = %d, Allow %q, %q; want 405 problem+json with Allow", r.status, r.header.Get("Allow"), r.header.Get("Content-Type"))
	}
	if r := s.adminGet(t, "/jobs/"+strconv.FormatInt(j.ID, 10)+"/replay"); r.status != http.StatusMethodNotAllowed ||
		r.header.Get("Allow") != "POST" || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("GET of a replay = %d, Allow %q, %q; want 405 problem+json with Allow", r.status, r.header.Get("Allow"), r.header.Get("Content-Type"))
	}
	if n := alertCount(); n != 2 {
		t.Errorf("%d alerts, want one per death (2)", n)
	}
}

// TestAdminRefusesCrossSitePosts: a browser's cross-site POST to the admin
// listener (a page the operator visits, posting to a loopback admin
// address) is refused 403 before it replays anything; the same POST from a
// client that is not a browser (no Sec-Fetch-Site) reaches the handler.
func TestAdminRefusesCrossSitePosts(t *testing.T) {
	store := openJobStore(t)
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Queue(jobs.Queue{Name: "fine"}, ok("fine"))
		app.GET("/", ok("root").Stage.Process)
	}, troupe.WithJobStore(store))
	post := func(site string) int {
		req, err := http.NewRequest(http.MethodPost, s.admin+"/jobs/999/replay", nil)
		if err != nil {
			t.Fatal(err)
		}
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("cross-site"); got != http.StatusForbidden {
		t.Errorf("cross-site POST = %d, want 403", got)
	}
	if got := post(""); got != http.StatusNotFound {
		t.Errorf("POST without browser headers = %d, want 404 (the handler's: no job 999)", got)
	}
	if got := post("same-origin"); got != http.StatusNotFound {
		t.Errorf("same-origin POST = %d, want 404", got)
	}
}
