package demobackend

import (
	"strings"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"github.com/troupe-go/troupe/config"
)

// DefaultMaxBatchSize is the max_batch_size of a demo_score batcher whose
// options leave it out: the batch size the demo model stays efficient at
// (a call of 64 costs 1.64ms, 64 single calls 64ms), and the measured best
// of batching's BenchmarkSubmit at 256 concurrent callers.
const DefaultMaxBatchSize = 64

// Options are the options of a demo_score handler.
type Options struct {
	// Backend is the simulated model's cost profile.
	Backend Config `yaml:"backend"`
	// Batch configures the batcher (see batching.Config for every key).
	// max_in_flight defaults to backend.concurrency, and max_batch_size to
	// DefaultMaxBatchSize.
	Batch batching.Config `yaml:"batch"`
	// KeyHeader, if set, names a request header whose value is the batch
	// key: requests with different values never share a batch.
	KeyHeader string `yaml:"key_header"`
}

// Register adds the handler kind demo_score to reg:
//
//	routes:
//	  - method: POST
//	    path: /demo/score
//	    handler: demo_score
//	    options:
//	      backend: {call_cost: 1ms, item_cost: 10us, concurrency: 4}
//	      batch: {max_batch_size: 64, max_queue: 1024}
//
// Each route of this kind gets its own model and batcher; the batcher is
// added to the app (config.Options.Add), which starts it before serving,
// flushes it after draining, and exports its troupe_batch_* metrics.
func Register(reg *config.Registry) {
	reg.RegisterHandler("demo_score", config.Kind{
		Doc: `scores {"id": …, "features": [numbers]} as {"id": …, "score": sum of squares}, in batches, through a simulated model. ` +
			"Options: backend (call_cost 1ms, item_cost 10us, concurrency 4, max_features 1024), " +
			"batch (max_batch_size 64, preferred_batch_sizes, max_delay 1ms, eager_in_flight 1, disable_fair_share, max_in_flight = backend.concurrency, " +
			"max_in_flight_per_key, max_queue 1024, max_queue_per_key, max_queue_delay 100ms, estimated_duration, preserve_order, reject_status 503, key_reject_status 429, retry_after 1s), key_header.",
		New: newHandler,
	})
}

func newHandler(name string, opts config.Options) (*actors.Spec, error) {
	var o Options
	if err := opts.Decode(&o); err != nil {
		return nil, err
	}
	m, err := New(o.Backend)
	if err != nil {
		return nil, opts.Errorf("demo_score: %v", err)
	}
	bc := o.Batch
	bc.Name = name
	if bc.MaxInFlight == 0 {
		bc.MaxInFlight = m.Config().Concurrency
	}
	if bc.MaxBatchSize == 0 {
		bc.MaxBatchSize = DefaultMaxBatchSize
	}
	b, err := batching.New(bc, m.Score)
	if err != nil {
		return nil, opts.Errorf("demo_score: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	opts.Add(b)
	hc := batching.HandlerConfig[Features, Score]{}
	if h := o.KeyHeader; h != "" {
		hc.Key = func(ex *actors.Exchange) string { return ex.Request.Header.Get(h) }
	}
	return batching.Handler(name, b, hc), nil
}
