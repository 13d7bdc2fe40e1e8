package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Webhook posts each job that dies, as JSON (see Job.MarshalJSON), to a
// URL: the alert hook of a Runner (WithAlert(w.Alert)). Alert only queues
// the job; one goroutine, started by Start and waited for by Stop, posts
// them in order, each once (a failed post is logged, not retried).
type Webhook struct {
	url    string
	client *http.Client
	log    *zap.Logger
	// queue holds the jobs waiting to be posted. 256: a burst of deaths
	// larger than that while the hook is slow is logged and dropped, so
	// that an attempt never waits on the alert.
	queue chan Job
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// NewWebhook returns a webhook that posts to url with client (a client
// with a 10 s timeout if nil), logging failures to log (none if nil).
func NewWebhook(url string, client *http.Client, log *zap.Logger) *Webhook {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Webhook{url: url, client: client, log: log, queue: make(chan Job, 256),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// Alert queues j to be posted; it never blocks.
func (w *Webhook) Alert(j Job) {
	select {
	case w.queue <- j:
	default:
		w.log.Error("alert webhook queue full: a dead job's alert dropped", zap.Int64("job", j.ID))
	}
}

// Start starts the goroutine that posts.
func (w *Webhook) Start() error {
	go w.run()
	return nil
}

// Stop posts what is queued, waiting at most until ctx ends, and stops the
// goroutine. It is safe to call twice, but only after Start.
func (w *Webhook) Stop(ctx context.Context) error {
	w.once.Do(func() { close(w.stop) })
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("jobs: alert webhook: %w", ctx.Err())
	}
}

func (w *Webhook) run() {
	defer close(w.done)
	for {
		select {
		case j := <-w.queue:
			w.post(j)
		case <-w.stop:
			for {
				select {
				case j := <-w.queue:
					w.post(j)
				default:
					return
				}
			}
		}
	}
}

func (w *Webhook) post(j Job) {
	b, err := json.Marshal(j)
	if err != nil {
		w.log.Error("alert webhook", zap.Int64("job", j.ID), zap.Error(err))
		return
	}
	res, err := w.client.Post(w.url, "application/json", bytes.NewReader(b))
	if err != nil {
		w.log.Error("alert webhook", zap.Int64("job", j.ID), zap.Error(err))
		return
	}
	res.Body.Close()
	if res.StatusCode >= 300 {
		w.log.Error("alert webhook", zap.Int64("job", j.ID), zap.Int("status", res.StatusCode))
	}
}
