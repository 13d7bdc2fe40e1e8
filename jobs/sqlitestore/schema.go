package sqlitestore

// schema creates the tables and indexes if they are missing. Times are Unix
// nanoseconds, 0 for none; state is jobs.State's number.
const schema = `
CREATE TABLE IF NOT EXISTS jobs (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	queue           TEXT    NOT NULL,
	priority        INTEGER NOT NULL,
	payload         BLOB    NOT NULL,
	payload_hash    TEXT    NOT NULL,
	idempotency_key TEXT,
	state           INTEGER NOT NULL,
	attempt         INTEGER NOT NULL,
	max_attempts    INTEGER NOT NULL,
	run_at          INTEGER NOT NULL,
	deadline        INTEGER NOT NULL,
	lease_until     INTEGER NOT NULL,
	result          BLOB,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency ON jobs (queue, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_queued ON jobs (queue, state, priority DESC, run_at, id);
CREATE INDEX IF NOT EXISTS jobs_leased ON jobs (queue, state, lease_until);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (state, updated_at);
CREATE TABLE IF NOT EXISTS job_errors (
	job_id  INTEGER NOT NULL REFERENCES jobs (id),
	attempt INTEGER NOT NULL,
	at      INTEGER NOT NULL,
	error   TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS job_errors_job ON job_errors (job_id);
`
