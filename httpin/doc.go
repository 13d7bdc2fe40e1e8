// Package httpin is troupe's HTTP ingress. Ingress is the http.Handler that
// turns each request into an actors.Exchange, sends it on its route's
// itinerary and waits for the reply; it writes the reply, or a clear
// problem+json error, exactly once. Server is the actor that owns the
// listener and the http.Server, and drains it on shutdown.
//
// What the ingress guards, in order: admission (past the in-flight limit, 503
// with Retry-After at once), the path (400 for one that cannot be
// normalised, 404, 405 with Allow), the body (413 past the route's limit,
// read in full before any stage runs), stages that are down (503 with
// Retry-After), and the deadline (504 when it passes; the work is
// abandoned). A client that goes away abandons its exchange wherever it
// waits.
package httpin
