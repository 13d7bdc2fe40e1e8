package bench

import (
	"context"
	"net/http"
	"sync"

	"github.com/troupe-go/troupe/internal/demobackend"
)

// BatchChannel is the batch scenario's hand-written batcher: plain
// net/http in front of demobackend.ChannelBatcher — a goroutine, a channel
// and a slice; a batch of up to BatchMaxBatchSize items goes whenever one
// of the model's slots is free — at POST BatchPath on an http.ServeMux.
// Its batcher's goroutine starts with Start (or Handler) and stops with
// Shutdown (or Close). Its methods are safe for concurrent use; Start and
// Shutdown are each called once.
type BatchChannel struct {
	model *demobackend.Model

	openOnce sync.Once
	batcher  *demobackend.ChannelBatcher
	handler  http.Handler

	plainServer
}

// NewBatchChannel returns the peer, with a model of its own; its batcher
// is not started yet.
func NewBatchChannel() *BatchChannel { return &BatchChannel{model: NewBatchModel()} }

// Handler starts the batcher if it is not running yet and returns the
// peer's handler, without a server; Close stops the batcher.
func (p *BatchChannel) Handler() http.Handler {
	p.openOnce.Do(func() {
		p.batcher = demobackend.NewChannelBatcher(p.model, BatchMaxBatchSize, p.model.Config().Concurrency)
		p.handler = batchMux(p.batcher.Handler())
	})
	return p.handler
}

// Close stops the batcher, after answering what it holds. Call it once
// nothing submits any more.
func (p *BatchChannel) Close() {
	p.openOnce.Do(func() {}) // never started: nothing to close
	if p.batcher != nil {
		p.batcher.Close()
	}
}

// Hits returns how many items the model has scored: one per request
// served.
func (p *BatchChannel) Hits() int64 { return p.model.Items() }

// ModelCounts returns the model's counters.
func (p *BatchChannel) ModelCounts() ModelCounts { return countsOf(p.model) }

// Start starts the batcher and serves on addr ("" means 127.0.0.1 on a
// free port) until Shutdown.
func (p *BatchChannel) Start(addr string) error {
	if err := p.serve(addr, p.Handler()); err != nil {
		p.Close()
		return err
	}
	return nil
}

// Shutdown stops the server gracefully, then the batcher.
func (p *BatchChannel) Shutdown(ctx context.Context) error {
	err := p.plainServer.Shutdown(ctx)
	p.Close()
	return err
}
