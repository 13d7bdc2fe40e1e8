// Package jobs runs durable background jobs: a job is enqueued into a
// Store, claimed by a Runner under a lease, and run through the same
// supervised stages as an HTTP request (the root package plans a queue's
// itinerary and hands the Runner a Handler that serves it).
//
// A job's life: queued → running (a claim takes a lease: a visibility
// timeout) → succeeded, or back to queued after a failed attempt (at a
// later run time, by exponential back-off with jitter), or dead once it
// has failed its last attempt or passed its deadline. A running job whose
// lease expires (its runner crashed) is claimable again: every job runs at
// least once, and the attempt number fences a runner that lost its lease
// out of completing it. A queued or running job can be cancelled; a dead
// or cancelled one can be replayed.
//
// Stores: package jobs/sqlitestore (embedded SQLite, the default: no server
// needed). Package jobs/jobstest holds the conformance suite every store
// passes.
package jobs
