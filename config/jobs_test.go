package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
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
