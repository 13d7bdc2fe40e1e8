package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/troupe-go/troupe/jobs"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Store is a jobs.Store in one SQLite file. It is safe for concurrent use.
type Store struct {
	db *sql.DB
}

var _ jobs.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and its tables.
// path ":memory:" is a private in-memory database, for tests.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate") // a transaction takes the write lock at BEGIN: no upgrade to fail later
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // see the package doc
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitestore: schema of %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

const columns = `id, queue, priority, payload, payload_hash, COALESCE(idempotency_key, ''), state, attempt,
	max_attempts, run_at, deadline, lease_until, result, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanJob(r scanner) (jobs.Job, error) {
	var j jobs.Job
	var runAt, deadline, lease, created, updated int64
	err := r.Scan(&j.ID, &j.Queue, &j.Priority, &j.Payload, &j.PayloadHash, &j.IdempotencyKey, &j.State,
		&j.Attempt, &j.MaxAttempts, &runAt, &deadline, &lease, &j.Result, &created, &updated)
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

// tx runs f in a transaction (immediate: it holds the write lock) and
// commits if f returns nil.
func (s *Store) tx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlitestore: begin: %w", err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlitestore: commit: %w", err)
	}
	return nil
}

// Enqueue implements jobs.Store.
func (s *Store) Enqueue(ctx context.Context, n jobs.NewJob, now time.Time) (jobs.Job, bool, error) {
	if n.Queue == "" {
		return jobs.Job{}, false, errors.New("sqlitestore: enqueue: no queue")
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
	var key any
	if n.IdempotencyKey != "" {
		key = n.IdempotencyKey
	}
	var j jobs.Job
	created := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if key != nil {
			row := tx.QueryRowContext(ctx, `SELECT `+columns+` FROM jobs WHERE queue = ? AND idempotency_key = ?`, n.Queue, key)
			var err error
			if j, err = scanJob(row); err == nil {
				if j.PayloadHash != hash {
					return jobs.ErrConflict
				}
				return nil
			} else if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("sqlitestore: enqueue: %w", err)
			}
		}
		if n.MaxQueued > 0 {
			var held int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE queue = ? AND state IN (?, ?)`,
				n.Queue, jobs.Queued, jobs.Running).Scan(&held); err != nil {
				return fmt.Errorf("sqlitestore: enqueue: %w", err)
			}
			if held >= n.MaxQueued {
				return jobs.ErrQueueFull
			}
		}
		row := tx.QueryRowContext(ctx, `INSERT INTO jobs (queue, priority, payload, payload_hash, idempotency_key,
			state, attempt, max_attempts, run_at, deadline, lease_until, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 0, ?, ?) RETURNING `+columns,
			n.Queue, n.Priority, n.Payload, hash, key, jobs.Queued, n.MaxAttempts, nanos(n.RunAt), nanos(n.Deadline),
			nanos(now), nanos(now))
		var err error
		if j, err = scanJob(row); err != nil {
			return fmt.Errorf("sqlitestore: enqueue: %w", err)
		}
		created = true
		return nil
	})
	if err != nil {
		return jobs.Job{}, false, err
	}
	return j, created, nil
}

// Claim implements jobs.Store.
func (s *Store) Claim(ctx context.Context, queue string, limit int, now time.Time, lease time.Duration) ([]jobs.Job, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []jobs.Job
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE jobs SET state = ?, attempt = attempt + 1, lease_until = ?, updated_at = ?
			WHERE id IN (SELECT id FROM (
				SELECT * FROM (SELECT id, priority, run_at FROM jobs WHERE queue = ? AND state = ? AND run_at <= ?
					ORDER BY priority DESC, run_at, id LIMIT ?)
				UNION ALL
				SELECT * FROM (SELECT id, priority, run_at FROM jobs WHERE queue = ? AND state = ? AND lease_until <= ?
					ORDER BY lease_until LIMIT ?)
			) ORDER BY priority DESC, run_at, id LIMIT ?)
			RETURNING `+columns,
			jobs.Running, nanos(now.Add(lease)), nanos(now),
			queue, jobs.Queued, nanos(now), limit, queue, jobs.Running, nanos(now), limit, limit)
		if err != nil {
			return fmt.Errorf("sqlitestore: claim: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return fmt.Errorf("sqlitestore: claim: %w", err)
			}
			out = append(out, j)
		}
		return rows.Err()
	})
	jobs.SortClaimed(out)
	return out, err
}
