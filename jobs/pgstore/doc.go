// Package pgstore is a jobs.Store in PostgreSQL, through jackc/pgx/v5: the
// store for several servers sharing one queue. A claim takes due jobs with
// FOR UPDATE SKIP LOCKED, so that two nodes claiming at once never take
// the same job and never wait for each other; the lease and the attempt
// number fence a node that lost its lease, as in every store. Times are
// the callers' (the runners' clocks), kept as Unix nanoseconds: the nodes'
// clocks must agree to well within a lease.
package pgstore
