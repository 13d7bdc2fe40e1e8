// Package tracing is troupe's OpenTelemetry plumbing: the server span of a
// request, the spans of the hops it visits, the client span of each
// upstream attempt and the span of each batch call, with W3C trace context
// and baggage carried in and out.
//
// Tracing is off unless the app is given a TracerProvider
// (troupe.WithTracerProvider, or `tracing: {enabled: true}` in a
// configuration file). Off, the ingress holds a nil *Tracer and the
// pipeline a nil *Request per exchange: what tracing costs then is a nil
// check, no span and no allocation. On, a request that head sampling
// leaves out gets its span context (for propagation upstream) and nothing
// more: no hop spans, no attributes.
//
// # Span names
//
// The names are stable; dashboards and tests may rely on them.
//
//	GET /items/{id}        server span of a request: METHOD ROUTE (METHOD alone when no route matched,
//	                       _OTHER for a method HTTP does not define)
//	hop NAME               one per hop the request visits, NAME being the hop's stages joined by "+"
//	                       (Hop.Name): the hop of the handler is "hop GET /items/{id}". Each hop's span is
//	                       the child of the one before it, as each hop wraps the ones after it: it lasts
//	                       from its first stage's Process to its first stage's after-phase
//	GET                    client span of one upstream attempt: the method (semantic conventions)
//	batch NAME             one per call of a batcher's function, NAME being the batcher's
//
// # Attributes and events
//
// Server spans carry the HTTP semantic conventions (semconv v1.43.0):
// http.request.method, http.route, http.response.status_code, url.path,
// url.scheme, server.address, server.port, client.address,
// user_agent.original, network.protocol.version, and error.type for a 5xx.
// Hop spans carry troupe.hop.stages (the stage names), troupe.hop.kind
// (stateless or stateful), and, for a stateful hop or one with a
// concurrency cap, troupe.hop.queue_wait: the seconds the exchange waited
// for the stage's actor or for a slot. A stage that panics adds the event
// "restart" to its hop's span (troupe.stage, exception.message), since its
// actor is restarted, and marks the span as an error. Client spans carry
// http.request.method, url.full, server.address, server.port,
// http.request.resend_count for a retry, and http.response.status_code.
// Batch spans carry troupe.batch.size and troupe.batch.key, and a link to
// the span of every item's request.
package tracing
