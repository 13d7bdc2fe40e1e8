// Package upstream calls the servers behind a troupe app — upstreams — and
// makes those calls fail well: a circuit breaker per upstream, retries
// within a budget, a bulkhead, the request's deadline on every attempt,
// and the health of each target. Proxy is the reverse-proxy handler built
// on it; the config kind proxy declares one (see Register).
//
// From Go:
//
//	up, err := upstream.New(upstream.Config{
//		Name:    "catalogue",
//		Targets: []string{"http://10.0.0.7:8080", "http://10.0.0.8:8080"},
//		Breaker: upstream.BreakerConfig{ConsecutiveFailures: 5, OpenTimeout: 30 * time.Second},
//	}, upstream.WithLogger(log))
//	if err != nil { … }
//	app.Add(up) // starts its actor with the app, stops it after the drain, exports its metrics
//	p, err := upstream.NewProxy(up, upstream.ProxyConfig{StripPrefix: "/catalogue"})
//	app.Handle("GET", "/catalogue/{rest...}", p.Spec("catalogue")).Timeout(2 * time.Second)
//
// or call up.Do(ex.Context(), &upstream.Request{…}) from a handler of your
// own. Several proxies (routes) may share one Upstream, and so one breaker:
// in a configuration file, declare it under `upstreams:` and name it with
// `upstream: NAME` (see RegisterSection).
//
// # One call
//
// Do takes a place in the bulkhead (or 503 at once: ErrBulkheadFull), then
// for each attempt: checks that the request's deadline leaves
// RetryConfig.MinTimeLeft (or 504: ErrTimeout); asks the upstream's actor
// to admit it — the breaker's Allow, and a target picked by the balancer,
// skipping ejected or unhealthy targets (or 503 with Retry-After, the time
// the breaker stays open: ErrOpen); sends it, bounded by the deadline and
// Config.AttemptTimeout, with the milliseconds left in the deadline header
// (Request-Timeout); reads the response in full; classifies it (success,
// failure or neutral: see BreakerConfig); and reports it to the actor,
// which asks for a retry when the attempt is worth one (see RetryConfig),
// granted only while the breaker is closed and the retry budget has room.
// A client that goes away cancels the attempt, which counts as neither a
// success nor a failure and frees its half-open probe slot: gobreaker v2's
// IsExcluded does exactly that.
//
// # Where the breaker's state lives, and what it costs
//
// Each upstream's breaker (a gobreaker v2 TwoStepCircuitBreaker, admit then
// report), its retry budget, and its targets' load and health are owned by
// one actor, the keeper, spawned in the app's actor system when the
// upstream starts (an Upstream is a troupe.Component). Every attempt sends
// it two messages: an admission, answered on a pooled channel, and a
// report, one-way unless a retry is wanted. The actor runs on Proto.Actor's
// synchronized dispatcher, so an idle actor handles the message on the
// caller's goroutine, with no handoff.
//
// Why an actor of its own rather than a Stateful stage (Partitions 1) in
// front of the handler, whose Process would call Allow and whose
// after-phase would report: retries. They happen inside the handler, and
// each attempt needs its own admission and report — a stage gets one
// Process and one After per request. An upstream that several routes share
// needs its state outside any one route's stages too. And a stateful stage
// on a hot key carries the exchanges through the synchronous hops after it
// one at a time (see docs/ARCHITECTURE.md); the keeper only ever answers a
// message and returns, so the caller's goroutine goes on with its own work.
//
// The cost, measured by BenchmarkAdmission (2-core AMD EPYC, Go 1.26.8,
// medians of 5): an admission and a report through the actor take ~0.7 µs
// and 3 allocations (the breaker's done callback and two mailbox nodes;
// the messages are pooled), against ~0.19 µs and 1 allocation for the same
// Allow and done called under gobreaker's own mutex: about 0.5 µs per
// attempt, under 1% of a proxied call on loopback (~50–70 µs,
// BenchmarkProxy). With every core calling at once, 0.8 µs against 0.22
// µs: one upstream serialises its admissions, which caps it near a million
// attempts a second, far above what one upstream serves. gobreaker's mutex
// stays; owned by one actor it is never contended. gobreaker reads the
// clock itself (time.Now, no injection), so the breaker's tests run under
// testing/synctest with the actor system and the breaker created inside the
// bubble.
//
// # Bodies are streamed
//
// Proxy streams both ways. On a route that streams its body
// (Route.StreamBody, `stream_body: true`), the ingress hands the request
// body over unread as Exchange.BodyReader, kept to the route's limit (413
// past it), and Do sends it upstream as it arrives: in one attempt, since
// a body read once cannot be sent again; a failure of the client's body
// (413, 408, 400) is answered as such and is neutral for the breaker; the
// client's trailers follow the body upstream. On other routes the ingress
// has read the body, and retries resend it (without trailers).
//
// The response comes from DoStream with its body unread (Response.Stream),
// which Proxy hands to Exchange.RespondStream: the ingress copies it to the
// client once the pipeline has answered, flushing after every read when
// its length is unknown (server-sent events), announcing and then sending
// its trailers, and cutting the connection if the upstream breaks off
// mid-body, so that the client never takes a truncated body for a whole
// one. The attempt, its bulkhead slot and its connection last until the
// stream is closed; the request's deadline bounds the reading of the body,
// and the server's write_timeout its writing. The breaker judges an
// attempt when its header arrives (status, and time to header for slow
// calls): a body that fails later is not counted. ProxyConfig.BufferResponse
// reads the body in full instead (bounded by Config.MaxResponseBytes, 502
// past it), for stages that rewrite or keep bodies (cache, compress).
// Upgrades (WebSocket) are not forwarded.
package upstream
