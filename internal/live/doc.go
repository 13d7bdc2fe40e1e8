// Package live is the admin listener's live page and its JSON API: a
// snapshot of a running server — its supervision tree (hops, their actors,
// mailbox depths, stages with restarts and gates), its routes' itineraries,
// its batchers, its upstreams' breakers, its overload limiters, and its
// job queues with their dead letters (each with a Replay button) — served
// whole at GET /api/state, pushed every second as server-sent events at
// GET /api/events, and shown by one embedded HTML page at GET /.
//
// A Snapshot is built on demand, from counters the server keeps anyway
// (atomic loads, Prometheus metrics read at snapshot time, an upstream's
// status asked of its keeper actor; the job queues' counts and dead
// letters read from the job store): building one takes no lock on any
// request's path. The types here are plain data, so that the packages that
// own the figures (batching, upstream) can fill in their part without
// importing the app.
package live
