package bench

import (
	"context"
	"net/http"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/jobs"
	"github.com/troupe-go/troupe/stages/accesslog"
	"github.com/troupe-go/troupe/stages/timeout"
	"go.uber.org/zap"
)

// JobsTimeout is the timeout stage's deadline in the troupe consumer.
const JobsTimeout = 30 * time.Second

// JobsTroupe runs its queue the way a troupe user declares one: an app
// with two global stages of the default configuration's kinds — an access
// log (zap's JSON encoder, to the logger given: io.Discard in the
// scenario) and a timeout — an enqueue route POST /QUEUE, and
// app.Queue with a handler that answers 200 with JobResult. Each attempt
// is an exchange along access log, timeout, handler.
type JobsTroupe struct {
	store *CountingStore
	app   *troupe.App
	queue string
}

// NewJobsTroupe builds and starts the app on store (its HTTP listener on
// a free loopback port, its admin listener off), logging to log and
// writing the access log to accessLog.
func NewJobsTroupe(store *CountingStore, queue string, concurrency int, log, accessLog *zap.Logger) (*JobsTroupe, error) {
	al, err := accesslog.New("access-log", accesslog.Config{Logger: accessLog})
	if err != nil {
		return nil, err
	}
	to, err := timeout.New("job-timeout", timeout.Config{Timeout: JobsTimeout})
	if err != nil {
		return nil, err
	}
	app := troupe.New(troupe.Config{HTTP: serverConfig("127.0.0.1:0"), Admin: troupe.AdminConfig{Addr: "off"}},
		troupe.WithLogger(log), troupe.WithJobStore(store))
	app.Use(al, to)
	app.EnqueueRoute("/"+queue, queue)
	app.Queue(jobs.Queue{Name: queue, Concurrency: concurrency, Poll: jobsIdlePoll},
		troupe.Handler("send", func(ex *actors.Exchange) error {
			ex.Respond(http.StatusOK, "text/plain", JobResult)
			return nil
		}))
	if err := app.Start(); err != nil {
		return nil, err
	}
	return &JobsTroupe{store: store, app: app, queue: queue}, nil
}

// Queue is the queue it consumes.
func (p *JobsTroupe) Queue() string { return p.queue }

// Drain enqueues the last job with app.Enqueue, which wakes the app's
// runner, and waits until n jobs have completed.
func (p *JobsTroupe) Drain(ctx context.Context, done <-chan struct{}) error {
	if _, _, err := p.app.Enqueue(ctx, p.queue, []byte(JobPayload), jobs.EnqueueOptions{}); err != nil {
		return err
	}
	return awaitDone(ctx, p.store, p.queue, done)
}

// Close shuts the app down.
func (p *JobsTroupe) Close(ctx context.Context) error { return p.app.Shutdown(ctx) }
