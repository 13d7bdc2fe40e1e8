package batchproxy

import (
	"strings"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// Register adds the handler kind batch_proxy to reg: its options are the
// yaml keys of Config (see the package documentation for an example).
// Each route of this kind gets its own proxy, added to the app
// (config.Options.Add), which starts it before serving, flushes it after
// draining, and exports its troupe_batch_* metrics under the route's
// handler name.
func Register(reg *config.Registry) {
	reg.RegisterHandler("batch_proxy", config.Kind{
		Doc: "gathers concurrent requests (one JSON item each) into batches POSTed to an upstream as one JSON array, and answers each with its own result. " +
			"Options: upstream (required), items_field, results_field, id_field (match by id; default by position), status_field, body_field, " +
			"timeout (10s), max_response_bytes (16 MiB), headers, key_header, batch (the batching options: max_batch_size, max_delay, max_in_flight, max_queue, …).",
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var c Config
			if err := opts.Decode(&c); err != nil {
				return nil, err
			}
			p, err := New(name, c)
			if err != nil {
				return nil, opts.Errorf("batch_proxy: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
			}
			opts.Add(p)
			return p.Spec(name), nil
		},
	})
}
