package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/troupe-go/troupe/jobs"
)

// Get implements jobs.Store.
func (s *Store) Get(ctx context.Context, id int64) (jobs.Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, `SELECT `+columns+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return jobs.Job{}, jobs.ErrNotFound
	}
	if err != nil {
		return jobs.Job{}, fmt.Errorf("sqlitestore: job %d: %w", id, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT attempt, at, error FROM job_errors WHERE job_id = ? ORDER BY rowid`, id)
	if err != nil {
		return jobs.Job{}, fmt.Errorf("sqlitestore: job %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e jobs.AttemptError
		var at int64
		if err := rows.Scan(&e.Attempt, &at, &e.Error); err != nil {
			return jobs.Job{}, fmt.Errorf("sqlitestore: job %d: %w", id, err)
		}
		e.At = fromNanos(at)
		j.Errors = append(j.Errors, e)
	}
	return j, rows.Err()
}

// Cancel implements jobs.Store.
func (s *Store) Cancel(ctx context.Context, id int64, now time.Time) (jobs.Job, error) {
	return s.move(ctx, id, now, `state = ?, lease_until = 0, updated_at = ?`, []any{jobs.Cancelled, nanos(now)},
		jobs.Queued, jobs.Running)
}

// Replay implements jobs.Store.
func (s *Store) Replay(ctx context.Context, id int64, now time.Time) (jobs.Job, error) {
	return s.move(ctx, id, now, `state = ?, attempt = 0, run_at = ?, deadline = 0, lease_until = 0, updated_at = ?`,
		[]any{jobs.Queued, nanos(now), nanos(now)}, jobs.Dead, jobs.Cancelled)
}

// move updates job id if it is in state from or from2, and returns it;
// jobs.ErrState if it is in another state.
func (s *Store) move(ctx context.Context, id int64, now time.Time, set string, args []any, from, from2 jobs.State) (jobs.Job, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET `+set+` WHERE id = ? AND state IN (?, ?)`,
			append(args, id, from, from2)...)
		if err != nil {
			return fmt.Errorf("sqlitestore: job %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlitestore: job %d: %w", id, err)
		} else if n == 1 {
			return nil
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM jobs WHERE id = ?`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return jobs.ErrNotFound
		}
		return jobs.ErrState
	})
	if err != nil {
		return jobs.Job{}, err
	}
	return s.Get(ctx, id)
}

// Dead implements jobs.Store.
func (s *Store) Dead(ctx context.Context, queue string, limit int) ([]jobs.Job, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+columns+` FROM jobs WHERE state = ? AND (? = '' OR queue = ?)
		ORDER BY updated_at, id LIMIT ?`, jobs.Dead, queue, queue, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: dead jobs: %w", err)
	}
	defer rows.Close()
	var out []jobs.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlitestore: dead jobs: %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlitestore: dead jobs: %w", err)
	}
	rows.Close() // the one connection serves the next query
	if err := s.withErrors(ctx, out); err != nil {
		return nil, fmt.Errorf("sqlitestore: dead jobs' errors: %w", err)
	}
	return out, nil
}

// withErrors fills in the errors of js, in one query.
func (s *Store) withErrors(ctx context.Context, js []jobs.Job) error {
	if len(js) == 0 {
		return nil
	}
	byID := make(map[int64]*jobs.Job, len(js))
	args := make([]any, len(js))
	for i := range js {
		byID[js[i].ID] = &js[i]
		args[i] = js[i].ID
	}
	rows, err := s.db.QueryContext(ctx, `SELECT job_id, attempt, at, error FROM job_errors
		WHERE job_id IN (?`+strings.Repeat(", ?", len(js)-1)+`) ORDER BY rowid`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, at int64
		var e jobs.AttemptError
		if err := rows.Scan(&id, &e.Attempt, &at, &e.Error); err != nil {
			return err
		}
		e.At = fromNanos(at)
		j := byID[id]
		j.Errors = append(j.Errors, e)
	}
	return rows.Err()
}

// Counts implements jobs.Store.
func (s *Store) Counts(ctx context.Context) (map[string]jobs.Counts, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT queue, state, COUNT(*) FROM jobs GROUP BY queue, state`)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: counts: %w", err)
	}
	defer rows.Close()
	out := map[string]jobs.Counts{}
	for rows.Next() {
		var queue string
		var state jobs.State
		var n int
		if err := rows.Scan(&queue, &state, &n); err != nil {
			return nil, fmt.Errorf("sqlitestore: counts: %w", err)
		}
		c := out[queue]
		c.Add(state, n)
		out[queue] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlitestore: counts: %w", err)
	}
	return out, nil
}
