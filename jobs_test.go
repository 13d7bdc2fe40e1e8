package troupe_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/jobs"
	"github.com/troupe-go/troupe/jobs/sqlitestore"
	"github.com/troupe-go/troupe/stages/accesslog"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func openJobStore(t *testing.T) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "jobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func waitJob(t *testing.T, s jobs.Store, id int64, want jobs.State) jobs.Job {
	t.Helper()
	var j jobs.Job
	waitFor(t, "job "+want.String(), func() bool {
		var err error
		j, err = s.Get(context.Background(), id)
		return err == nil && j.State == want
	})
	return j
}

// TestJobTravelsGroupStages: a job's attempt is an exchange along its
// group's stages (global first) to the queue's handler: a POST of the
// payload to the queue's path, with its id and attempt in headers.
func TestJobTravelsGroupStages(t *testing.T) {
	store := openJobStore(t)
	seen := make(chan string, 1) // one job
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Use(mark("global", actors.Global))
		app.GET("/", ok("root").Stage.Process)
		api := app.Group("/api", mark("api", actors.Business))
		api.Queue(jobs.Queue{Name: "mail"}, troupe.Handler("send", func(ex *actors.Exchange) error {
			seen <- ex.Request.Method + " " + ex.Path + " " + ex.Request.Header.Get("X-Job-Attempt") + " " +
				strings.Join(ex.Response.Header().Values("X-Trace"), ",")
			ex.Respond(http.StatusOK, "text/plain", append([]byte("sent "), ex.Body...))
			return nil
		}))
	}, troupe.WithJobStore(store))
	j, created, err := s.app.Enqueue(t.Context(), "mail", []byte("hello"), jobs.EnqueueOptions{})
	if err != nil || !created {
		t.Fatalf("Enqueue = %v, created %v", err, created)
	}
	if got, want := <-seen, "POST /api/jobs/mail 1 global,api"; got != want {
		t.Errorf("the handler saw %q, want %q", got, want)
	}
	if done := waitJob(t, store, j.ID, jobs.Succeeded); string(done.Result) != "sent hello" {
		t.Errorf("result = %q, want %q", done.Result, "sent hello")
	}
}

// TestJobHandlerPanics: a handler that panics fails the attempt with a
// 500, its stage restarts as it does for a request, and the retry
// succeeds.
func TestJobHandlerPanics(t *testing.T) {
	store := openJobStore(t)
	var calls atomic.Int32
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.GET("/", ok("root").Stage.Process)
		app.Queue(jobs.Queue{Name: "q", Poll: 10 * time.Millisecond, Backoff: jobs.Backoff{Base: time.Millisecond}},
			troupe.Handler("crashy", func(ex *actors.Exchange) error {
				if calls.Add(1) == 1 {
					panic("boom")
				}
				ex.Respond(http.StatusOK, "", []byte("fine"))
				return nil
			}))
	}, troupe.WithJobStore(store))
	j, _, err := s.app.Enqueue(t.Context(), "q", nil, jobs.EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := waitJob(t, store, j.ID, jobs.Succeeded)
	if len(done.Errors) != 1 || !strings.HasPrefix(done.Errors[0].Error, "500 ") || done.Attempt != 2 {
		t.Errorf("job = attempt %d, errors %+v; want a 500 on the first attempt, success on the second", done.Attempt, done.Errors)
	}
	if m := s.adminGet(t, "/metrics").body; !strings.Contains(m, `troupe_stage_restarts_total{stage="crashy"} 1`) {
		t.Errorf("the handler's stage did not restart once:\n%s", grepLines(m, "restarts"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestJobQueueRefusesHTTPOnlyStages: a stage marked HTTPOnly in a queue's
// group is refused when the app is planned.
func TestJobQueueRefusesHTTPOnlyStages(t *testing.T) {
	app := troupe.New(troupe.Config{}, troupe.WithLogger(nopLogger()), troupe.WithJobStore(openJobStore(t)))
	cors := mark("cors", actors.Global)
	cors.HTTPOnly = true
	app.GET("/", ok("root").Stage.Process)
	app.Group("/api", cors).Queue(jobs.Queue{Name: "q"}, ok("h"))
	_, err := app.Handler()
	if err == nil || !strings.Contains(err.Error(), `queue "q": stages ["cors"] only make sense for HTTP requests`) {
		t.Fatalf("Handler() = %v, want the cors stage refused", err)
	}
}

// TestEnqueueRouteUnknownQueue: an enqueue route into a queue nobody
// declared is a plan error.
func TestEnqueueRouteUnknownQueue(t *testing.T) {
	app := troupe.New(troupe.Config{}, troupe.WithLogger(nopLogger()), troupe.WithJobStore(openJobStore(t)))
	app.GET("/", ok("root").Stage.Process)
	app.Queue(jobs.Queue{Name: "mail"}, ok("h"))
	app.EnqueueRoute("/post", "post")
	if _, err := app.Handler(); err == nil || !strings.Contains(err.Error(), `an enqueue route names queue "post", which is not declared`) {
		t.Fatalf("Handler() = %v, want the unknown queue refused", err)
	}
}

// TestJobQueueNeedsStore: queues without a store are a plan error.
func TestJobQueueNeedsStore(t *testing.T) {
	app := troupe.New(troupe.Config{}, troupe.WithLogger(nopLogger()))
	app.GET("/", ok("root").Stage.Process)
	app.Queue(jobs.Queue{Name: "q"}, ok("h"))
	if _, err := app.Handler(); err == nil || !strings.Contains(err.Error(), "need a store") {
		t.Fatalf("Handler() = %v, want a missing store refused", err)
	}
	if _, _, err := app.Enqueue(context.Background(), "q", nil, jobs.EnqueueOptions{}); err == nil || errors.Is(err, nil) {
		t.Errorf("Enqueue on an unbuilt app = %v, want an error", err)
	}
}

// TestJobAccessLog: an access log among a queue's stages logs each
// attempt once its answer is taken as the job's result, as it logs a
// request once the response is written.
func TestJobAccessLog(t *testing.T) {
	store := openJobStore(t)
	core, logs := observer.New(zap.InfoLevel)
	al, err := accesslog.New("access-log", accesslog.Config{Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.GET("/", ok("root").Stage.Process)
		app.Group("/api", al).Queue(jobs.Queue{Name: "mail"}, troupe.Handler("send", func(ex *actors.Exchange) error {
			ex.Respond(http.StatusOK, "text/plain", []byte("sent"))
			return nil
		}))
	}, troupe.WithJobStore(store))
	j, _, err := s.app.Enqueue(t.Context(), "mail", []byte("hello"), jobs.EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, store, j.ID, jobs.Succeeded)
	entries := logs.FilterMessage("request").All()
	if len(entries) != 1 {
		t.Fatalf("%d access log lines, want 1: %+v", len(entries), entries)
	}
	f := entries[0].ContextMap()
	if f["route"] != "/api/jobs/mail" || f["status"] != int64(http.StatusOK) || f["bytes"] != int64(len("sent")) {
		t.Errorf("access log line = %v, want route /api/jobs/mail, status 200, bytes 4", f)
	}
}
