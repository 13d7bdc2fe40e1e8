package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/troupe-go/troupe/jobs"
)

// schema creates the tables if they are missing; as sqlitestore's.
const schema = `
CREATE TABLE IF NOT EXISTS troupe_jobs (
	id              BIGSERIAL PRIMARY KEY,
	queue           TEXT     NOT NULL,
	priority        INTEGER  NOT NULL,
	payload         BYTEA    NOT NULL,
	payload_hash    TEXT     NOT NULL,
	idempotency_key TEXT,
	state           SMALLINT NOT NULL,
	attempt         INTEGER  NOT NULL,
	max_attempts    INTEGER  NOT NULL,
	run_at          BIGINT   NOT NULL,
	deadline        BIGINT   NOT NULL,
	lease_until     BIGINT   NOT NULL,
	result          BYTEA,
	created_at      BIGINT   NOT NULL,
	updated_at      BIGINT   NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS troupe_jobs_idempotency ON troupe_jobs (queue, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS troupe_jobs_queued ON troupe_jobs (queue, state, priority DESC, run_at, id);
CREATE INDEX IF NOT EXISTS troupe_jobs_leased ON troupe_jobs (queue, state, lease_until);
CREATE INDEX IF NOT EXISTS troupe_jobs_finished ON troupe_jobs (state, updated_at);
CREATE TABLE IF NOT EXISTS troupe_job_errors (
	seq     BIGSERIAL PRIMARY KEY,
	job_id  BIGINT  NOT NULL REFERENCES troupe_jobs (id),
	attempt INTEGER NOT NULL,
	at      BIGINT  NOT NULL,
	error   TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS troupe_job_errors_job ON troupe_job_errors (job_id);
`

// Store is a jobs.Store in a PostgreSQL database. It is safe for
// concurrent use, by any number of processes.
type Store struct {
	pool *pgxpool.Pool
}

var _ jobs.Store = (*Store)(nil)

// Open connects to the database at dsn (a PostgreSQL URL or key=value
// string) and creates the tables if they are missing.
func Open(ctx context.Context, dsn string) (*Store, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	// One creator at a time: CREATE … IF NOT EXISTS races between nodes.
	if _, err := pool.Exec(ctx, `SELECT pg_advisory_lock(7469707265); `+schema+`; SELECT pg_advisory_unlock(7469707265)`); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: schema: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

const columns = `id, queue, priority, payload, payload_hash, COALESCE(idempotency_key, ''), state, attempt,
	max_attempts, run_at, deadline, lease_until, result, created_at, updated_at`

func scanJob(r pgx.Row) (jobs.Job, error) {
	var j jobs.Job
	var state int16
	var runAt, deadline, lease, created, updated int64
	err := r.Scan(&j.ID, &j.Queue, &j.Priority, &j.Payload, &j.PayloadHash, &j.IdempotencyKey, &state,
		&j.Attempt, &j.MaxAttempts, &runAt, &deadline, &lease, &j.Result, &created, &updated)
	j.State = jobs.State(state)
	j.RunAt, j.Deadline, j.LeaseUntil = fromNanos(runAt), fromNanos(deadline), fromNanos(lease)
	j.CreatedAt, j.UpdatedAt = fromNanos(created), fromNanos(updated)
	return j, err
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// Enqueue implements jobs.Store.
func (s *Store) Enqueue(ctx context.Context, n jobs.NewJob, now time.Time) (jobs.Job, bool, error) {
	if n.Queue == "" {
		return jobs.Job{}, false, errors.New("pgstore: enqueue: no queue")
	}
	if n.MaxAttempts <= 0 {
		n.MaxAttempts = jobs.DefaultMaxAttempts
	}
	if n.RunAt.IsZero() {
		n.RunAt = now
	}
	if n.Payload == nil {
		n.Payload = []byte{}
	}
	hash := jobs.Hash(n.Payload)
	var key *string
	if n.IdempotencyKey != "" {
		key = &n.IdempotencyKey
	}
	var j jobs.Job
	created := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if n.MaxQueued > 0 {
			var held int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM troupe_jobs WHERE queue = $1 AND state IN ($2, $3)`,
				n.Queue, int16(jobs.Queued), int16(jobs.Running)).Scan(&held); err != nil {
				return err
			}
			if held >= n.MaxQueued {
				if key != nil { // a repeat of a job already in is not refused
					if e, err := scanJob(tx.QueryRow(ctx, `SELECT `+columns+` FROM troupe_jobs WHERE queue = $1 AND idempotency_key = $2`, n.Queue, *key)); err == nil {
						j = e
						if e.PayloadHash != hash {
							return jobs.ErrConflict
						}
						return nil
					}
				}
				return jobs.ErrQueueFull
			}
		}
		row := tx.QueryRow(ctx, `INSERT INTO troupe_jobs (queue, priority, payload, payload_hash, idempotency_key,
			state, attempt, max_attempts, run_at, deadline, lease_until, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, 0, $10, $10)
			ON CONFLICT (queue, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
			RETURNING `+columns,
			n.Queue, n.Priority, n.Payload, hash, key, int16(jobs.Queued), n.MaxAttempts, nanos(n.RunAt), nanos(n.Deadline), nanos(now))
		var err error
		if j, err = scanJob(row); err == nil {
			created = true
			return nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if j, err = scanJob(tx.QueryRow(ctx, `SELECT `+columns+` FROM troupe_jobs WHERE queue = $1 AND idempotency_key = $2`, n.Queue, *key)); err != nil {
			return err
		}
		if j.PayloadHash != hash {
			return jobs.ErrConflict
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, jobs.ErrConflict) || errors.Is(err, jobs.ErrQueueFull) {
			return jobs.Job{}, false, err
		}
		return jobs.Job{}, false, fmt.Errorf("pgstore: enqueue: %w", err)
	}
	return j, created, nil
}

// Claim implements jobs.Store.
func (s *Store) Claim(ctx context.Context, queue string, limit int, now time.Time, lease time.Duration) ([]jobs.Job, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `UPDATE troupe_jobs SET state = $1, attempt = attempt + 1, lease_until = $2, updated_at = $3
		WHERE id IN (
			SELECT id FROM troupe_jobs
			WHERE queue = $4 AND ((state = $5 AND run_at <= $3) OR (state = $1 AND lease_until <= $3))
			ORDER BY priority DESC, run_at, id LIMIT $6
			FOR UPDATE SKIP LOCKED)
		RETURNING `+columns,
		int16(jobs.Running), nanos(now.Add(lease)), nanos(now), queue, int16(jobs.Queued), limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (jobs.Job, error) { return scanJob(r) })
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim: %w", err)
	}
	jobs.SortClaimed(out)
	return out, nil
}
