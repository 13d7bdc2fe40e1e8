package bench

import (
	"net/http"

	"github.com/troupe-go/troupe/internal/demobackend"
)

// BatchPerRequest is the batch scenario's baseline: plain net/http, one
// model call per request (demobackend.PerRequestHandler), at POST
// BatchPath on an http.ServeMux. Every request waits for one of the
// model's slots and then for a whole call. Its methods are safe for
// concurrent use; Start and Shutdown are each called once.
type BatchPerRequest struct {
	model   *demobackend.Model
	handler http.Handler

	plainServer
}

// NewBatchPerRequest returns the peer, with a model of its own.
func NewBatchPerRequest() *BatchPerRequest {
	m := NewBatchModel()
	return &BatchPerRequest{model: m, handler: batchMux(demobackend.PerRequestHandler(m))}
}

// Handler returns the peer's handler, without a server.
func (p *BatchPerRequest) Handler() http.Handler { return p.handler }

// Hits returns how many items the model has scored: one per request
// served.
func (p *BatchPerRequest) Hits() int64 { return p.model.Items() }

// ModelCounts returns the model's counters.
func (p *BatchPerRequest) ModelCounts() ModelCounts { return countsOf(p.model) }

// Start serves on addr ("" means 127.0.0.1 on a free port) until Shutdown.
func (p *BatchPerRequest) Start(addr string) error { return p.serve(addr, p.handler) }
