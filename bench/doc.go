// Package bench holds the peers of troupe's HTTP benchmark: the same five
// trivial middleware and the same trivial JSON handler, written once as a
// plain net/http handler chain (nethttp.go) and once as a troupe pipeline
// (troupe.go): all stateless (the best case), or as the README teaches (one
// stage stateful, the handler from app.GET). work.go says what each middleware does; both
// peers do exactly that and nothing more, so that the difference between
// them is what troupe's pipeline costs.
//
// The api scenario (api.go) is the catalogue's typical API stack — request
// id, access log, API-key auth, rate limit, JSON Schema validation — in
// front of POST /items: troupe's stages (api_troupe.go) against the same
// features as net/http middleware from well-known libraries, chi, zap,
// httprate and jsonschema (api_nethttp.go).
//
// The batch scenario (batch.go) serves a simulated model
// (internal/demobackend) one call per request (batch_perrequest.go),
// through a hand-written channel batcher (batch_channel.go) and through
// troupe's batching.Batcher (batch_troupe.go). The proxy scenario (proxy.go) puts
// troupe's reverse proxy (package upstream, proxy_troupe.go) and
// httputil.ReverseProxy (proxy_nethttp.go) in front of the same upstream.
//
// The overload scenario (overload.go) serves a workload of fixed capacity
// — 20 ms of work, at most 16 at once — as troupe declares it by default
// and with its static limit written out (overload_troupe.go), and behind a
// plain net/http semaphore, for an open-loop load beyond that capacity.
//
// The jobs scenario (jobs.go) runs a trivial durable job through a troupe
// app's queue (jobs_troupe.go), a bare jobs.Runner (jobs_runner.go) and
// two plain worker pools (jobs_pool.go, jobs_batched.go) over one store,
// SQLite or PostgreSQL (jobs_store.go), without HTTP.
//
// The program that loads the peers with wrk and prints the comparison is
// cmd/httpbench; README.md says how to run and read it.
package bench
