// Package sqlitestore is a jobs.Store in an embedded SQLite database,
// through the pure-Go driver modernc.org/sqlite: the default store, which
// needs no server. One process owns the file at a time (a second one would
// wait on SQLite's lock, bounded by the busy timeout).
//
// The database is in WAL mode (readers never block the writer, and a
// commit is one append to the log), with synchronous=NORMAL: a commit is
// in the operating system's hands before Enqueue returns, so a job
// acknowledged survives the crash or SIGKILL of the process (the crash
// test shows it), though not a power cut; with FULL every commit waits for
// an fsync, which on the test machines held the store to about 100
// commits a second (three per job). It has a busy timeout of 5 s for any other process that opens the file. The pool
// holds one connection: SQLite admits one writer at a time whatever the
// pool, and nearly every call here writes (claim, heartbeat, complete), so
// more connections would only move the queue from Go's pool, which is FIFO
// and wakes a waiter at once, to SQLite's busy handler, which sleeps and
// retries, and would make a read transaction that turns into a write fail
// with SQLITE_BUSY instead of waiting.
package sqlitestore
