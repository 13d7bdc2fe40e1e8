// Package demobackend is the built-in demo backend of the default
// configuration: a simulated model that scores feature vectors, with the
// cost profile that makes batching worth it — a fixed cost per call plus
// a small cost per item, and a limited number of calls at once — served
// through a batcher as the handler kind demo_score.
//
//	curl -i localhost:8080/demo/score -H 'Content-Type: application/json' \
//	     -d '{"id":"a1","features":[0.5,1.5]}'
//	# 200 {"id":"a1","score":2.5}
//
// A score is the sum of the squares of the features: deterministic, so
// tests and benchmarks can check every answer.
//
// It also holds the peers of the side-by-side benchmark (bench/): the same
// model behind plain net/http, one call per request (PerRequestHandler),
// and behind a hand-written channel batcher (ChannelBatcher).
package demobackend
