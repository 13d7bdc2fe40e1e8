package config

import (
	"maps"
	"net/url"
	"slices"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/jobs"
	"go.yaml.in/yaml/v3"
)

// Jobs is the jobs section: durable background jobs, each attempt of which
// travels the global stages, its queue's stages and its queue's handler:
//
//	jobs:
//	  store: troupe-jobs.db     # the SQLite file, or a postgres:// URL; default troupe-jobs.db
//	  routes: /jobs             # GET and DELETE /jobs/{id}; default /jobs
//	  stages: [NAME, …]         # stages of those two routes (an API key, say), after the global ones
//	  alert_webhook: URL        # posted each job that dies, once; default none
//	  retention: 24h            # succeeded and cancelled jobs are deleted after this; "forever" keeps them
//	  dead_retention: 168h      # dead jobs (the dead-letter list) are deleted after this; "forever" keeps them
//	  queues:
//	    - name: mail            # required: letters, digits, '-', '_', '.'
//	      handler: KIND         # required: a registered handler kind, as a route's
//	      options: {…}          # the handler's options
//	      group: NAME           # the group (groups: - name: NAME) whose stages it travels; default none
//	      stages: [NAME, …]     # stages of this queue (and the global ones, and its group's)
//	      concurrency: 4        # attempts at once on this server
//	      max_attempts: 10      # then the job is dead
//	      backoff: {base: 1s, max: 1h, jitter: 0.2}
//	      attempt_timeout: 1m   # one attempt's deadline
//	      job_timeout: 24h      # the job's deadline from its enqueueing; default none
//	      lease: 30s            # a crashed server's jobs run again after this
//	      poll: 1s              # how often to look for due jobs
//	      max_queued: 10000     # the queue's budget of unfinished jobs; default none
//	      max_payload_bytes: 1048576  # the largest payload it takes; default 1 MiB
//	routes:
//	  - {method: POST, path: /mail, enqueue: mail, max_body_bytes: 65536}
//
// A queue with group: NAME is declared in the group of that name, as
// troupe.Group.Queue declares one in Go: each attempt travels the global
// stages, the stages of that group and of the groups around it (outermost
// first), then the queue's own, sorted by priority as a route's are; its
// exchanges' path is the group's full prefix and /jobs/NAME. A name no
// group has is an error at the queue's group line.
//
// A route with enqueue instead of handler enqueues its body (202 with
// Location). A stage that only makes sense for HTTP (cors, compress,
// security_headers) is refused in a queue, at the line that names it; a
// global one too, at the queue's line, and a group's at the queue's group
// line: put such stages in a group of their own that no queue names.
type Jobs struct {
	// Store is the SQLite file, or a postgres:// URL for PostgreSQL (the
	// store of several servers). Defaults to "troupe-jobs.db".
	Store string
	// Routes is the prefix of the job routes. Defaults to "/jobs".
	Routes string
	// Stages are the job routes' own stages: GET and DELETE /jobs/{id}
	// show and cancel any job by its number, so a server whose listener
	// others reach guards them (an api_key stage, say).
	Stages []*actors.Spec
	// AlertWebhook, if set, is posted each job that dies, once.
	AlertWebhook string
	// Retention is how long finished jobs are kept (jobs.Retention's Done
	// and Dead; zero is the default, negative keeps them: "forever").
	Retention jobs.Retention
	// Queues are the queues, in file order.
	Queues []*Queue
}

// Queue is one queue of the jobs section.
type Queue struct {
	// Config is the queue's settings; its Handler is set by the app.
	Config jobs.Queue
	// Handler answers each attempt; it is named "queue NAME".
	Handler *actors.Spec
	// Stages are the queue's own stages.
	Stages []*actors.Spec
	// Groups are the group the queue is declared in (group: NAME) and the
	// groups around it, from the outermost; empty for a top-level queue.
	Groups []*Group
	// Line is the queue's line in the file.
	Line int
}

// queueGroup is a queue's group: NAME, resolved once the groups are parsed.
type queueGroup struct {
	q    *Queue
	name string
	node *yaml.Node
}

// jobsSection parses the jobs section. It runs before the routes, which
// name its queues.
func (p *parser) jobsSection(n *yaml.Node, global []*actors.Spec, globalNode *yaml.Node) {
	if isNull(n) {
		return
	}
	f := p.fields(n, "jobs", "store", "routes", "stages", "alert_webhook", "retention", "dead_retention", "queues")
	j := &Jobs{Store: "troupe-jobs.db", Routes: "/jobs"}
	if s, ok := p.str(f.get("store"), "jobs store"); ok && s != "" {
		j.Store = s
	}
	if s, ok := p.str(f.get("routes"), "jobs routes"); ok && s != "" {
		if s[0] != '/' {
			p.errorf(f.get("routes"), "jobs routes %q must start with \"/\"", s)
		}
		j.Routes = s
	}
	if s, ok := p.str(f.get("alert_webhook"), "jobs alert_webhook"); ok && s != "" {
		if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.errorf(f.get("alert_webhook"), "jobs alert_webhook %q must be an http or https URL", s)
		}
		j.AlertWebhook = s
	}
	j.Stages = p.refs(f.get("stages"), "jobs stages")
	j.Retention.Done = p.retention(f.get("retention"), "jobs retention")
	j.Retention.Dead = p.retention(f.get("dead_retention"), "jobs dead_retention")
	seen := map[string]bool{}
	for _, item := range p.list(f.get("queues"), "jobs queues") {
		if q := p.queue(item, global, seen); q != nil {
			j.Queues = append(j.Queues, q)
		}
	}
	p.cfg.Jobs = j
}

// retention returns a retention: a duration, "forever" (-1: keep), or
// null (0: the default).
func (p *parser) retention(n *yaml.Node, what string) time.Duration {
	if r := resolve(n); r != nil && r.Kind == yaml.ScalarNode && r.Value == "forever" {
		return -1
	}
	d := p.duration(n, what)
	if d == 0 && n != nil && !isNull(n) {
		p.errorf(n, "%s must be a positive duration or forever", what)
	}
	return d
}

func (p *parser) queue(n *yaml.Node, global []*actors.Spec, seen map[string]bool) *Queue {
	if r := resolve(n); r.Kind != yaml.MappingNode {
		p.errorf(n, "a queue must be a mapping with a name and a handler, got %s", describe(r))
		return nil
	}
	f := p.fields(n, "a queue", "name", "handler", "options", "group", "stages", "concurrency", "max_attempts", "backoff",
		"attempt_timeout", "job_timeout", "lease", "poll", "max_queued", "max_payload_bytes")
	q := &Queue{Line: n.Line}
	name, ok := p.str(f.get("name"), "queue name")
	switch {
	case !ok:
		return nil
	case !stageName.MatchString(name):
		p.errorf(n, "a queue needs a name of letters, digits, '-', '_', '.', got %q", name)
		return nil
	case seen[name]:
		p.errorf(f.get("name"), "queue %q is declared twice", name)
		return nil
	}
	seen[name] = true
	what := "queue " + name
	c := jobs.Queue{Name: name}
	c.Concurrency = int(p.count(f.get("concurrency"), what+" concurrency"))
	c.MaxAttempts = int(p.count(f.get("max_attempts"), what+" max_attempts"))
	c.MaxQueued = int(p.count(f.get("max_queued"), what+" max_queued"))
	c.MaxPayload = int(p.count(f.get("max_payload_bytes"), what+" max_payload_bytes"))
	c.AttemptTimeout = p.duration(f.get("attempt_timeout"), what+" attempt_timeout")
	c.JobTimeout = p.duration(f.get("job_timeout"), what+" job_timeout")
	c.Lease = p.duration(f.get("lease"), what+" lease")
	c.Poll = p.duration(f.get("poll"), what+" poll")
	if b := f.get("backoff"); !isNull(b) {
		bf := p.fields(b, what+" backoff", "base", "max", "jitter")
		c.Backoff.Base = p.duration(bf.get("base"), what+" backoff base")
		c.Backoff.Max = p.duration(bf.get("max"), what+" backoff max")
		c.Backoff.Jitter = p.fraction(bf.get("jitter"), what+" backoff jitter", 1)
		if c.Backoff.Base > 0 && c.Backoff.Max > 0 && c.Backoff.Max < c.Backoff.Base {
			p.errorf(b, "%s backoff max (%s) is below its base (%s)", what, c.Backoff.Max, c.Backoff.Base)
		}
	}
	q.Config = c
	if g, ok := p.str(f.get("group"), what+" group"); ok && g != "" {
		p.queueGroups = append(p.queueGroups, queueGroup{q: q, name: g, node: f.get("group")})
	}
	if v := f.get("stages"); v != nil {
		q.Stages = p.refs(v, what+" stages")
		for _, item := range p.list(v, what+" stages") {
			if s, ok := p.str(item, ""); ok {
				if i := slices.IndexFunc(q.Stages, func(sp *actors.Spec) bool { return sp.Name == s }); i >= 0 && q.Stages[i].HTTPOnly {
					p.errorf(item, "%s: stage %q only makes sense for HTTP requests", what, s)
				}
			}
		}
	}
	for _, s := range global {
		if s.HTTPOnly {
			p.errorf(n, "%s: global stage %q only makes sense for HTTP requests: put it in a group", what, s.Name)
		}
	}
	kindName, ok := p.str(f.get("handler"), what+" handler")
	if !ok {
		return q
	}
	if kindName == "" {
		p.errorf(n, "%s has no handler (handler kinds: %s)", what, names(p.reg.HandlerKinds()))
		return q
	}
	k, ok := p.reg.Handler(kindName)
	if !ok {
		p.unknownKind(f.get("handler"), kindName, false)
		return q
	}
	if spec := p.build(k, kindName, "queue "+name, f.get("options"), f.get("handler")); spec != nil {
		spec.Priority = actors.Terminating
		q.Handler = spec
	}
	return q
}

// resolveQueueGroups gives each queue that names a group that group's
// chain, refusing an unknown name and a group stage that only makes sense
// for HTTP, at the queue's group line.
func (p *parser) resolveQueueGroups() {
	for _, ref := range p.queueGroups {
		chain, ok := p.namedGroups[ref.name]
		if !ok {
			known := slices.Sorted(maps.Keys(p.namedGroups))
			if len(known) == 0 {
				p.errorf(ref.node, "queue %s: no group is named %q (a group takes a name with name: NAME)", ref.q.Config.Name, ref.name)
			} else {
				p.errorf(ref.node, "queue %s: no group is named %q (named groups: %s)", ref.q.Config.Name, ref.name, names(known))
			}
			continue
		}
		ref.q.Groups = chain
		for _, g := range chain {
			for _, s := range g.Stages {
				if s.HTTPOnly {
					p.errorf(ref.node, "queue %s: stage %q of group %s only makes sense for HTTP requests", ref.q.Config.Name, s.Name, g.Prefix)
				}
			}
		}
	}
}

// enqueueRoute makes r a route that enqueues into the queue v names.
func (p *parser) enqueueRoute(r *Route, v, handler *yaml.Node, what string) {
	name, ok := p.str(v, what+" enqueue")
	if !ok {
		return
	}
	if handler != nil {
		p.errorf(handler, "%s has both enqueue and handler: an enqueue route's handler is the queue's", what)
	}
	if r.Method != "" && r.Method != "POST" {
		p.errorf(v, "%s: an enqueue route's method must be POST, got %s", what, r.Method)
	}
	if p.cfg.Jobs == nil || !slices.ContainsFunc(p.cfg.Jobs.Queues, func(q *Queue) bool { return q.Config.Name == name }) {
		p.errorf(v, "%s enqueues into queue %q, which the jobs section does not declare", what, name)
		return
	}
	r.Enqueue = name
}

// jobOptions returns the app options of the jobs section.
func (c *Config) jobOptions() []troupe.Option {
	if c.Jobs == nil {
		return nil
	}
	opts := []troupe.Option{troupe.WithJobOptions(jobs.WithRetention(c.Jobs.Retention))}
	if c.Jobs.AlertWebhook != "" {
		opts = append(opts, troupe.WithJobAlertWebhook(c.Jobs.AlertWebhook))
	}
	return opts
}

// declareJobs declares the jobs section's queues and job routes on app.
func (c *Config) declareJobs(app declarerApp) {
	if c.Jobs == nil {
		return
	}
	for _, q := range c.Jobs.Queues {
		if len(q.Groups) == 0 {
			app.Queue(q.Config, q.Handler).With(q.Stages...)
			continue
		}
		// Groups of its own, with the prefixes and stages of the named
		// group's chain: a troupe.Group holds no routes until given some.
		g := app.Group(q.Groups[0].Prefix, q.Groups[0].Stages...)
		for _, inner := range q.Groups[1:] {
			g = g.Group(inner.Prefix, inner.Stages...)
		}
		g.Queue(q.Config, q.Handler).With(q.Stages...)
	}
	app.JobRoutes(c.Jobs.Routes, c.Jobs.Stages...)
}

// declarerApp is what declareJobs needs of a troupe.App.
type declarerApp interface {
	Queue(cfg jobs.Queue, handler *actors.Spec) *troupe.JobQueue
	Group(prefix string, stages ...*actors.Spec) *troupe.Group
	JobRoutes(prefix string, stages ...*actors.Spec)
}
