package bench

import (
	"context"
	"net"
	"net/http"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/batching"
	"github.com/troupe-go/troupe/internal/demobackend"
	"go.uber.org/zap"
)

// BatchTroupe is the batch scenario's troupe peer: a troupe app serving
// POST BatchPath with batching.Handler over a batching.Batcher that calls
// the model's Score, built as the demo_score kind builds it
// (internal/demobackend/kind.go) with cmd/server/default.yaml's /demo/score
// settings — max_batch_size BatchMaxBatchSize, max_in_flight the model's
// concurrency, max_queue BatchMaxQueue, the rest batching's defaults
// (max_delay 1ms, eager_in_flight 1, fair share on); the route's timeout
// BatchTimeout and body limit BatchMaxBodyBytes. The batcher is a
// component of the app (app.Add): started before it serves, flushed and
// stopped after it drains. Serve it with Start or mount it with Handler,
// once. Its methods are safe for concurrent use.
type BatchTroupe struct {
	model *demobackend.Model
	app   *troupe.App
}

// NewBatchTroupe returns the peer, with a model of its own, logging its
// problems to log.
func NewBatchTroupe(log *zap.Logger) (*BatchTroupe, error) {
	m := NewBatchModel()
	const name = "POST " + BatchPath
	b, err := batching.New(batching.Config{
		Name:         name,
		MaxBatchSize: BatchMaxBatchSize,
		MaxInFlight:  m.Config().Concurrency,
		MaxQueue:     BatchMaxQueue,
	}, m.Score)
	if err != nil {
		return nil, err
	}
	p := &BatchTroupe{model: m}
	p.app = troupe.New(troupe.Config{
		HTTP:  serverConfig("127.0.0.1:0"),
		Admin: troupe.AdminConfig{Addr: "off"},
	}, troupe.WithLogger(log))
	p.app.Add(b)
	p.app.Handle(http.MethodPost, BatchPath, batching.Handler(name, b, batching.HandlerConfig[demobackend.Features, demobackend.Score]{})).
		Timeout(BatchTimeout).
		MaxBodyBytes(BatchMaxBodyBytes)
	return p, nil
}

// Handler builds the app (starting its batcher) and returns its
// http.Handler, for serving without a listener; Close stops it.
func (p *BatchTroupe) Handler() (http.Handler, error) { return p.app.Handler() }

// Close stops an app built by Handler, its batcher included.
func (p *BatchTroupe) Close() { _ = p.app.Close(context.Background()) }

// Hits returns how many items the model has scored: one per request
// served.
func (p *BatchTroupe) Hits() int64 { return p.model.Items() }

// ModelCounts returns the model's counters.
func (p *BatchTroupe) ModelCounts() ModelCounts { return countsOf(p.model) }

// Start builds the app and serves on 127.0.0.1, on a free port, until
// Shutdown. addr is ignored: the app is configured when it is made.
func (p *BatchTroupe) Start(string) error { return p.app.Start() }

// Addr returns the address the peer serves on, once started.
func (p *BatchTroupe) Addr() net.Addr { return p.app.Addr() }

// Shutdown stops the app gracefully: the listener drains, then the
// batcher answers what it holds and stops.
func (p *BatchTroupe) Shutdown(ctx context.Context) error { return p.app.Shutdown(ctx) }
