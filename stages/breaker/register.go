package breaker

import (
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// Register adds the stage kind breaker to reg: a Stateless stage of
// priority terminating whose options are the yaml keys of Config. The
// kind adds the stage's metrics to the app by itself.
//
//	stages:
//	  orders-db:
//	    kind: breaker
//	    options:
//	      consecutive_failures: 5
//	      open_timeout: 30s
//	      fallback: {status: 200, content_type: application/json, body: '{"orders": []}'}
func Register(reg *config.Registry) {
	kind := config.StageKind("a circuit breaker around the rest of the route (the stages after it and the handler): "+
		"5xx (failure_statuses) count as failures, 4xx as successes, a client gone or a deadline passed as neither; "+
		"open, 503 with Retry-After (the time left open) or the fallback. Options: consecutive_failures (default 5), "+
		"failure_ratio with minimum_calls (default 20) over window (default 10s) in buckets (default 10), "+
		"open_timeout (default 30s), half_open_requests (default 1), slow_call_duration, failure_statuses (default [5xx]), "+
		"fallback {status (default 200), content_type, body}.", Priority, New)
	build := kind.New
	kind.New = func(name string, opts config.Options) (*actors.Spec, error) {
		spec, err := build(name, opts)
		if err != nil {
			return nil, err
		}
		opts.Add(Metrics(spec))
		return spec, nil
	}
	reg.Register("breaker", kind)
}
