package config_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/jobs/sqlitestore"
	"go.uber.org/zap"
)

// jobsRegistry is testRegistry with a stage kind "webonly", marked
// HTTPOnly as cors is.
func jobsRegistry() *config.Registry {
	reg := testRegistry()
	reg.Register("webonly", config.Kind{
		Doc: "an HTTP-only stage",
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			s := troupe.Stage(name, actors.Global, actors.StageFunc(func(*actors.Exchange) error { return nil }))
			s.HTTPOnly = true
			return s, nil
		},
	})
	return reg
}

const jobsFile = `stages:
  tag: {kind: tag, options: {value: t}}
  web: {kind: webonly}
jobs:
  store: /tmp/x.db
  alert_webhook: http://127.0.0.1:9/dead
  queues:
    - name: mail
      handler: ok
      stages: [tag]
      concurrency: 8
      max_attempts: 3
      backoff: {base: 2s, max: 1m, jitter: 0.1}
      attempt_timeout: 5s
      lease: 10s
      max_queued: 100
routes:
  - {method: POST, path: /mail, enqueue: mail, max_body_bytes: 1024}
`

func TestParseJobs(t *testing.T) {
	cfg, err := config.Parse("t.yaml", []byte(jobsFile), jobsRegistry())
	if err != nil {
		t.Fatal(err)
	}
	j := cfg.Jobs
	if j == nil || j.Store != "/tmp/x.db" || j.Routes != "/jobs" || j.AlertWebhook != "http://127.0.0.1:9/dead" || len(j.Queues) != 1 {
		t.Fatalf("Jobs = %+v", j)
	}
	q := j.Queues[0]
	c := q.Config
	if c.Name != "mail" || c.Concurrency != 8 || c.MaxAttempts != 3 || c.Backoff.Base != 2*time.Second ||
		c.Backoff.Max != time.Minute || c.Backoff.Jitter != 0.1 || c.AttemptTimeout != 5*time.Second ||
		c.Lease != 10*time.Second || c.MaxQueued != 100 || q.Handler == nil || q.Handler.Name != "queue mail" ||
		len(q.Stages) != 1 || q.Stages[0].Name != "tag" {
		t.Errorf("queue = %+v, config %+v", q, c)
	}
	if r := cfg.Routes[0]; r.Enqueue != "mail" || r.Handler != nil || r.MaxBodyBytes != 1024 {
		t.Errorf("route = %+v, want an enqueue route into mail", r)
	}
	app := cfg.Build()
	if got := len(app.Routes()); got != 3 { // POST /mail, GET and DELETE /jobs/{id}
		t.Errorf("%d routes, want 3", got)
	}
}

func TestParseJobsErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"HTTP-only stage in a queue",
			strings.Replace(jobsFile, "stages: [tag]", "stages: [tag, web]", 1),
			`t.yaml:10: queue mail: stage "web" only makes sense for HTTP requests`},
		{"HTTP-only global stage",
			jobsFile + "global: [web]\n",
			`t.yaml:8: queue mail: global stage "web" only makes sense for HTTP requests: put it in a group`},
		{"unknown queue",
			strings.Replace(jobsFile, "enqueue: mail", "enqueue: post", 1),
			`t.yaml:18: route POST /mail enqueues into queue "post", which the jobs section does not declare`},
		{"enqueue and handler",
			strings.Replace(jobsFile, "enqueue: mail", "enqueue: mail, handler: ok", 1),
			`t.yaml:18: route POST /mail has both enqueue and handler`},
		{"zero retention",
			strings.Replace(jobsFile, "  queues:\n", "  retention: 0s\n  queues:\n", 1),
			`t.yaml:7: jobs retention must be a positive duration or forever`},
		{"negative dead retention",
			strings.Replace(jobsFile, "  queues:\n", "  dead_retention: -1h\n  queues:\n", 1),
			`t.yaml:7: jobs dead_retention must not be negative, got -1h`},
		{"enqueue with GET",
			strings.Replace(jobsFile, "method: POST", "method: GET", 1),
			`t.yaml:18: route GET /mail: an enqueue route's method must be POST, got GET`},
		{"queue without handler",
			strings.Replace(jobsFile, "      handler: ok\n", "", 1),
			`t.yaml:8: queue mail has no handler`},
		{"queue twice",
			strings.Replace(jobsFile, "routes:\n", "    - {name: mail, handler: ok}\nroutes:\n", 1),
			`t.yaml:17: queue "mail" is declared twice`},
		{"backoff max below base",
			strings.Replace(jobsFile, "max: 1m", "max: 1s", 1),
			`t.yaml:13: queue mail backoff max (1s) is below its base (2s)`},
		{"bad webhook",
			strings.Replace(jobsFile, "http://127.0.0.1:9/dead", "ftp://x", 1),
			`t.yaml:6: jobs alert_webhook "ftp://x" must be an http or https URL`},
		{"bad duration",
			strings.Replace(jobsFile, "lease: 10s", "lease: soon", 1),
			`t.yaml:15: queue mail lease: bad duration "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("t.yaml", []byte(tt.give), jobsRegistry())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse() = %v, want %q", err, tt.want)
			}
		})
	}
}

// groupJobsFile declares queue mail in the nested group v1: its attempts
// travel the global stage, then api's, v1's and its own.
const groupJobsFile = `stages:
  g: {kind: tag, options: {value: global}}
  outer: {kind: tag, options: {value: outer}}
  inner: {kind: tag, options: {value: inner}}
  own: {kind: tag, options: {value: own}}
  web: {kind: webonly}
global: [g]
jobs:
  queues:
    - name: mail
      handler: tags
      group: v1
      stages: [own]
      poll: 20ms
groups:
  - prefix: /api
    name: api
    stages: [outer]
    groups:
      - prefix: /v1
        name: v1
        stages: [inner]
        routes:
          - {method: POST, path: /mail, enqueue: mail}
`

// TestQueueInGroup: a queue with group: NAME is declared in that group, as
// Group.Queue is in Go: over real HTTP, a job enqueued by the group's
// route runs along the global stage, the enclosing groups' stages from the
// outermost, the queue's own, at the group's path.
func TestQueueInGroup(t *testing.T) {
	reg := jobsRegistry()
	reg.RegisterHandler("tags", config.Kind{
		Doc: "answers its path and the X-Tags the stages before it set",
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			return troupe.Handler(name, func(ex *actors.Exchange) error {
				ex.Respond(http.StatusOK, "text/plain", []byte(ex.Path+" "+strings.Join(ex.Response.Header().Values("X-Tags"), ",")))
				return nil
			}), nil
		},
	})
	cfg, err := config.Parse("t.yaml", []byte(groupJobsFile), reg)
	if err != nil {
		t.Fatal(err)
	}
	q := cfg.Jobs.Queues[0]
	if len(q.Groups) != 2 || q.Groups[0].Name != "api" || q.Groups[1].Name != "v1" || q.Groups[1].Prefix != "/v1" {
		t.Fatalf("queue's groups = %+v, want api then v1", q.Groups)
	}
	store, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "jobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close() // after the app's shutdown, deferred below
	cfg.App.HTTP.Addr, cfg.App.Admin.Addr = "127.0.0.1:0", "off"
	app := cfg.Build(troupe.WithLogger(zap.NewNop()), troupe.WithJobStore(store))
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer func() {
		client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}()
	base := "http://" + app.Addr().String()
	res, err := client.Post(base+"/api/v1/mail", "application/json", strings.NewReader(`{"to":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/v1/mail = %d, want 202", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	var job struct {
		State      string `json:"state"`
		ResultText string `json:"result_text"`
	}
	deadline := time.Now().Add(10 * time.Second) // the job runs within a poll (20 ms) of its enqueueing
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for job.State != "succeeded" {
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %q after 10 s, want succeeded", loc, job.State)
		}
		<-tick.C
		res, err := client.Get(base + loc)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(res.Body).Decode(&job)
		res.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: %v", loc, err)
		}
	}
	if want := "/api/v1/jobs/mail global,outer,inner,own"; job.ResultText != want {
		t.Errorf("the job's handler saw %q, want %q", job.ResultText, want)
	}
}

func TestQueueGroupErrors(t *testing.T) {
	file := strings.Replace(groupJobsFile, "handler: tags", "handler: ok", 1)
	tests := []struct {
		name string
		give string
		want string
	}{
		{"unknown group",
			strings.Replace(file, "group: v1", "group: v2", 1),
			`t.yaml:12: queue mail: no group is named "v2" (named groups: api, v1)`},
		{"no named groups",
			strings.NewReplacer("group: v1", "group: v2", "    name: api\n", "", "        name: v1\n", "").Replace(file),
			`t.yaml:12: queue mail: no group is named "v2" (a group takes a name with name: NAME)`},
		{"group name twice",
			strings.Replace(file, "name: v1", "name: api", 1),
			`t.yaml:21: group /v1: group name "api" is taken by the group at line 16`},
		{"bad group name",
			strings.Replace(file, "name: v1", "name: -v1", 1),
			`t.yaml:21: group /v1: a group's name is letters, digits, '-', '_', '.', got "-v1"`},
		{"HTTP-only stage in the group",
			strings.Replace(file, "stages: [outer]", "stages: [outer, web]", 1),
			`t.yaml:12: queue mail: stage "web" of group /api only makes sense for HTTP requests`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("t.yaml", []byte(tt.give), jobsRegistry())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse() = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestParseJobsRetention: retention and dead_retention take a duration or
// "forever"; left out, the runner's defaults apply (zero here).
func TestParseJobsRetention(t *testing.T) {
	file := strings.Replace(jobsFile, "  queues:\n", "  retention: 1h\n  dead_retention: forever\n  queues:\n", 1)
	cfg, err := config.Parse("t.yaml", []byte(file), jobsRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if r := cfg.Jobs.Retention; r.Done != time.Hour || r.Dead >= 0 {
		t.Errorf("retention = %+v, want Done 1h and Dead negative (forever)", r)
	}
	cfg, err = config.Parse("t.yaml", []byte(jobsFile), jobsRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if r := cfg.Jobs.Retention; r.Done != 0 || r.Dead != 0 {
		t.Errorf("retention left out = %+v, want zero (the runner's defaults)", r)
	}
}

// TestParseJobsRouteStages: the jobs section's stages guard GET and
// DELETE /jobs/{id}; an unknown one is an error at its line.
func TestParseJobsRouteStages(t *testing.T) {
	file := strings.Replace(jobsFile, "  queues:\n", "  stages: [tag]\n  queues:\n", 1)
	cfg, err := config.Parse("t.yaml", []byte(file), jobsRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if st := cfg.Jobs.Stages; len(st) != 1 || st[0].Name != "tag" {
		t.Errorf("jobs stages = %v, want [tag]", st)
	}
	bad := strings.Replace(jobsFile, "  queues:\n", "  stages: [nope]\n  queues:\n", 1)
	if _, err := config.Parse("t.yaml", []byte(bad), jobsRegistry()); err == nil || !strings.Contains(err.Error(), "t.yaml:7:") {
		t.Errorf("unknown jobs stage: %v, want an error at t.yaml:7", err)
	}
}
