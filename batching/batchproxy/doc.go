// Package batchproxy is a batching reverse proxy, declared from config
// alone: each request's body is one item; concurrent items are gathered
// into batches (package batching) and sent to an upstream URL as one JSON
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
// hang or a panic: 502 if the upstream cannot be reached, answers with
// another error status, or sends something that is not the expected JSON
// (not JSON, not an array, the wrong number of results, a result without
// its id, an invalid status); 503 with Retry-After if it answers 429 or
// 503; 504 if it does not answer within the timeout or the deadline of
// every client in the batch. A result missing for one item fails that item
// alone, with 502.
//
// The upstream is called with a plain http.Client (Config.Client, or one
// with a tuned transport that the proxy owns and closes when it stops).
package batchproxy
