// Package httpin is troupe's HTTP ingress. Ingress is the http.Handler that
// turns each request into an actors.Exchange, sends it on its route's
// itinerary and waits for the reply; it writes the reply, or a clear
// problem+json error, exactly once. Server is the actor that owns the
// listener and the http.Server, and drains it on shutdown.
//
// What the ingress guards, in order: admission (past the in-flight limit, 503
// with Retry-After at once), the path (400 for one that cannot be
// normalised, 404, 405 with Allow), the body (413 past the route's limit,
// read in full before any stage runs, and outside admission: a request
// gives its in-flight place back while its body arrives), stages that are
// down (503 with Retry-After), and the deadline (504 when it passes; the
// work is abandoned). A client that goes away abandons its exchange
// wherever it waits.
//
// What Server guards, before the ingress sees a request:
//
//   - Connections: the listener caps how many are open at once, in all
//     (Config.MaxConnections, by default from the limit on open files) and
//     from one address (Config.MaxConnectionsPerIP); one past a cap is
//     closed as soon as it is accepted, and logged (LimitListener).
//   - Slow clients: a request body that arrives slower than
//     Config.MinBodyRate, after Config.BodyRateGrace, is cut off with 408
//     and Connection: close; a response the client takes slower than
//     Config.MinWriteRate is cut off. Both are net/http's per-connection
//     deadlines, moved out as data flows; ReadTimeout and WriteTimeout
//     still bound the whole.
//   - Framing: the connection is closed after every request that came
//     with a Transfer-Encoding (with a Content-Length beside it or not,
//     folded or not) and after every HTTP/1.0 request, so that bytes
//     framed one way by a front proxy and another by net/http are never
//     read as a next request. net/http drops a Transfer-Encoding on
//     HTTP/1.0 without a trace (and frames the body by Content-Length, or
//     as empty), so that such a request cannot be told apart, nor refused
//     with 400; closing after it is what is left. Config.LenientFraming
//     turns this off.
//   - net/http's own errors (accept failures, bad requests it answers
//     itself, panics) are logged at Warn, rate-limited (NewErrorLog).
//   - HTTP/2 (over TLS through ALPN with Config.TLS, or cleartext by prior
//     knowledge with Config.H2C): the caps above count TCP connections,
//     whatever they carry; Config.MaxConcurrentStreams caps the streams of
//     one connection; the timeouts and rates apply per stream; the lame
//     duck and Drain send GOAWAY. The certificate is served from a
//     CertReloader: Server.ReloadTLS swaps in a new pair without a
//     restart, keeping the old one if the new files are bad.
//
// What a front proxy must do, since the server closes rather than refuses
// ambiguous framing: refuse (400) a request with both Content-Length and
// Transfer-Encoding, with a Transfer-Encoding other than a single
// "chunked", with an obs-folded header, or HTTP/1.0 with a
// Transfer-Encoding, rather than forward it; forward only requests it
// has framed itself, with the framing it read, over HTTP/1.1; never reuse
// an upstream connection after a response that said Connection: close; and,
// since every connection comes from it, leave MaxConnectionsPerIP at 0 and
// cap per client itself.
package httpin
