package troupe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/jobs"
)

// JobQueue is a queue of durable background jobs declared on a group: each
// attempt of each of its jobs travels the group's stages and the queue's
// handler — the same Stage interface, the same supervision — as a POST of
// the job's payload to the queue's path would. Declare it before the app
// is built.
type JobQueue struct {
	route *Route // planned like a route, never in the route table
	cfg   jobs.Queue
}

// Queue declares a job queue on the group: cfg names it and sets its
// concurrency, attempts, back-off and timeouts (its Handler is the
// pipeline's, set by the app); handler answers each attempt. The queue's
// path is the group's prefix and "/jobs/NAME". A job's exchange is a POST
// to that path whose body is the payload, with the attempt's deadline; its
// headers carry X-Job-ID, X-Job-Attempt and the job's Idempotency-Key.
// The handler's answer (a 2xx body) is the job's result; an error, a 4xx
// or 5xx (a panic is a 500) fails the attempt.
func (g *Group) Queue(cfg jobs.Queue, handler *actors.Spec) *JobQueue {
	q := &JobQueue{cfg: cfg, route: &Route{group: g, method: http.MethodPost,
		pattern: joinPath(g.prefix, "/jobs/"+cfg.Name), handler: handler}}
	g.app.queues = append(g.app.queues, q)
	return q
}

// Queue declares a job queue at the top level; see Group.Queue.
func (a *App) Queue(cfg jobs.Queue, handler *actors.Spec) *JobQueue {
	return a.root.Queue(cfg, handler)
}

// With adds stages that apply to this queue only.
func (q *JobQueue) With(stages ...*actors.Spec) *JobQueue {
	q.route.With(stages...)
	return q
}

// Name returns the queue's name.
func (q *JobQueue) Name() string { return q.cfg.Name }

// Path returns the path of the queue's exchanges.
func (q *JobQueue) Path() string { return q.route.pattern }

// WithJobStore sets the store the app's job queues keep their jobs in. An
// app with queues needs one; the app does not close it.
func WithJobStore(s jobs.Store) Option { return optionFunc(func(a *App) { a.jobStore = s }) }

// WithJobOptions passes options to the app's job runner (a clock, an alert
// hook).
func WithJobOptions(opts ...jobs.Option) Option {
	return optionFunc(func(a *App) { a.jobOpts = append(a.jobOpts, opts...) })
}

// Jobs returns the app's job runner, once the app is built; nil before, or
// if it has no queues.
func (a *App) Jobs() *jobs.Runner { return a.jobs }

// Enqueue stores a job for the named queue; see jobs.Runner.Enqueue. It
// fails before the app is built.
func (a *App) Enqueue(ctx context.Context, queue string, payload []byte, o jobs.EnqueueOptions) (jobs.Job, bool, error) {
	if a.jobs == nil {
		return jobs.Job{}, false, errors.New("troupe: Enqueue before the app is built, or without queues")
	}
	return a.jobs.Enqueue(ctx, queue, payload, o)
}

// planQueues plans each queue's itinerary like a route's, refusing stages
// that only make sense for HTTP, and makes the app's runner, which runs as
// the app's last component (started once the stage actors are up, stopped
// before them).
func (p *planner) planQueues() []error {
	a := p.app
	var errs []error
	for _, name := range a.enqueues {
		if !slices.ContainsFunc(a.queues, func(q *JobQueue) bool { return q.cfg.Name == name }) {
			errs = append(errs, fmt.Errorf("an enqueue route names queue %q, which is not declared", name))
		}
	}
	if len(a.queues) == 0 {
		return errs
	}
	cfgs := make([]jobs.Queue, 0, len(a.queues))
	for _, q := range a.queues {
		var httpOnly []string
		for _, s := range q.route.plannedStages() {
			if s != nil && s.HTTPOnly {
				httpOnly = append(httpOnly, s.Name)
			}
		}
		if len(httpOnly) > 0 {
			errs = append(errs, fmt.Errorf("queue %q: stages %q only make sense for HTTP requests", q.cfg.Name, httpOnly))
			continue
		}
		it, err := p.itinerary(q.route)
		if err != nil {
			errs = append(errs, fmt.Errorf("queue %q: %w", q.cfg.Name, err))
			continue
		}
		cfg := q.cfg
		cfg.Handler = jobHandler(it, q.route.pattern)
		cfgs = append(cfgs, cfg)
	}
	if a.jobStore == nil {
		errs = append(errs, errors.New("troupe: job queues need a store (WithJobStore)"))
	}
	if len(errs) > 0 {
		return errs
	}
	opts := append([]jobs.Option{jobs.WithLogger(a.log.Named("jobs"))}, a.jobOpts...)
	var hook *jobs.Webhook
	if a.jobWebhook != "" {
		hook = jobs.NewWebhook(a.jobWebhook, nil, a.log.Named("jobs"))
		opts = append(opts, jobs.WithAlert(hook.Alert))
	}
	r, err := jobs.New(a.jobStore, cfgs, opts...)
	if err != nil {
		return []error{err}
	}
	a.jobs = r
	if hook != nil {
		a.components = append(a.components, webhookComponent{hook})
	}
	a.components = append(a.components, jobComponent{r})
	a.addJobAdminRoutes()
	return nil
}

// jobHandler serves each attempt as an exchange along it.
func jobHandler(it *pipeline.Itinerary, path string) jobs.Handler {
	u := &url.URL{Path: path}
	return func(ctx context.Context, j *jobs.Job) ([]byte, error) {
		req := (&http.Request{Method: http.MethodPost, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Body: http.NoBody, Host: "jobs", RequestURI: path}).WithContext(ctx)
		req.Header.Set("X-Job-ID", strconv.FormatInt(j.ID, 10))
		req.Header.Set("X-Job-Attempt", strconv.Itoa(j.Attempt))
		if j.IdempotencyKey != "" {
			req.Header.Set("Idempotency-Key", j.IdempotencyKey)
		}
		ex := pipeline.NewExchange(ctx, req, it)
		ex.Body, ex.Route, ex.Path, ex.Start = j.Payload, path, path, time.Now()
		ex.RequestID = "job-" + strconv.FormatInt(j.ID, 10) + "-" + strconv.Itoa(j.Attempt)
		switch it.Serve(ex, func(*pipeline.Expiry) {}) {
		case pipeline.Expired:
			return nil, context.DeadlineExceeded // the runner says it was the attempt's deadline
		case pipeline.Gone:
			return nil, context.Cause(ctx)
		}
		resp := &ex.Response
		body := resp.Body
		if resp.Stream != nil {
			b, err := io.ReadAll(resp.Stream)
			resp.Stream.Close()
			if err != nil {
				return nil, fmt.Errorf("reading the handler's streamed answer: %w", err)
			}
			body = b
		} else {
			// The body is the job's result, taken as written: stages
			// that wait for the write (the access log) hear of it.
			pipeline.Wrote(resp, int64(len(body)), nil)
		}
		if resp.Status >= 400 {
			return nil, fmt.Errorf("%d %s: %s", resp.Status, http.StatusText(resp.Status), body)
		}
		return body, nil
	}
}

// jobComponent runs the app's job runner as a component.
type jobComponent struct{ r *jobs.Runner }

func (c jobComponent) Start(*actors.System) error     { return c.r.Start() }
func (c jobComponent) Stop(ctx context.Context) error { return c.r.Stop(ctx) }
