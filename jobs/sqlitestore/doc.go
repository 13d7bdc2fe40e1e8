// Package sqlitestore is a jobs.Store in an embedded SQLite database,
// through the pure-Go driver modernc.org/sqlite: the default store, which
// needs no server. One process owns the file at a time (a second one would
// wait on SQLite's lock, bounded by the busy timeout).
//
// The database is in WAL mode (readers never block the writer, and a
// commit is one append to the log), with synchronous=FULL so that a job
// acknowledged by Enqueue survives a power cut as well as a crash, and a
// busy timeout of 5 s for any other process that opens the file. The pool
// holds one connection: SQLite admits one writer at a time whatever the
// pool, and nearly every call here writes (claim, heartbeat, complete), so
// more connections would only move the queue from Go's pool, which is FIFO
// and wakes a waiter at once, to SQLite's busy handler, which sleeps and
// retries, and would make a read transaction that turns into a write fail
// with SQLITE_BUSY instead of waiting.
package sqlitestore
