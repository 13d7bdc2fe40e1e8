// Package batchproxy is a batching reverse proxy, declared from config
// alone: each request's body is one item; concurrent items are gathered
// into batches (package batching) and POSTed to an upstream as one JSON
// array, and each client gets its own item's result back.
//
//	routes:
//	  - method: POST
//	    path: /score
//	    handler: batch_proxy
//	    options:
//	      upstream: http://127.0.0.1:9000/v1/score   # takes a batch, answers a batch
//	      items_field: inputs        # send {"inputs": [item, …]} (default: a bare array)
//	      results_field: outputs     # read {"outputs": [result, …]} (default: a bare array)
//	      id_field: id               # match results to items by "id" (default: by position)
//	      status_field: status       # each result's HTTP status (default: 200)
//	      body_field: body           # the part of a result to answer with (default: all of it)
//	      batch: {max_batch_size: 32, max_in_flight: 4}
//	      breaker: {consecutive_failures: 5, open_timeout: 10s}   # the upstream's own options
//
// # The upstream
//
// Every batch goes through an upstream.Upstream (package upstream): its
// circuit breaker, bulkhead, retries, deadline header (Request-Timeout:
// the milliseconds left) and connection pool. With an upstream URL, the
// proxy has an upstream of its own, whose one target is the URL's scheme
// and host, configured by the upstream options beside the proxy's (breaker,
// retry, bulkhead, transport, connect_timeout, attempt_timeout,
// max_response_bytes, deadline_header, health; see upstream.Config), and
// named after the route in its troupe_upstream_* metrics; it starts and
// stops with the proxy. With the name of an upstream declared under the
// top-level upstreams section, the proxy shares that upstream — its one
// breaker — with every other route that names it (proxy routes too), and
// path says where batches go on it:
//
//	upstreams:
//	  scoring:
//	    targets: ["http://10.0.0.9:9000", "http://10.0.0.10:9000"]
//	    breaker: {consecutive_failures: 5, open_timeout: 10s}
//	routes:
//	  - method: POST
//	    path: /score
//	    handler: batch_proxy
//	    options: {upstream: scoring, path: /v1/batch, batch: {max_batch_size: 32}}
//
// The upstream's options are then set on the upstream, and are errors on
// the route.
//
// A batch is a POST, which is not idempotent: the upstream does not retry
// it, however its retry options read, unless retry.non_idempotent is set
// (then a batch that failed with a connection error, a timeout or a
// status in retry.statuses is sent again, within the retry budget). A
// call counts once for the breaker, however many items it held: as a
// failure when it fails to connect, times out, answers with a status in
// breaker.failure_statuses (5xx by default) or more than
// max_response_bytes; an answer that is not the expected JSON is the
// upstream's success as far as the breaker knows.
//
// # Results
//
// By default results answer items by position, and the upstream must send
// exactly one per item. With id_field, every item must be a JSON object
// with that field (a string or a number), and results are matched by it,
// in any order. A result may carry its own status (status_field), and the
// client gets that status with the result (or its body_field) as a JSON
// body: partial failures pass through, item by item.
//
// # Upstream failures
//
// They become problem+json answers for every item of the batch, never a
// hang or a panic: 503 with Retry-After — the time the breaker stays open
// — at once, without a call, while the upstream's breaker is open (and
// 503 when its bulkhead is full); 502 if the upstream cannot be reached,
// answers with another error status, or sends something that is not the
// expected JSON (not JSON, not an array, the wrong number of results, a
// result without its id, an invalid status, more than max_response_bytes);
// 503 with Retry-After if it answers 429 or 503; 504 if it does not answer
// within the timeout or the deadline of every client in the batch. A
// result missing for one item fails that item alone, with 502.
package batchproxy
