package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/troupe-go/troupe/jobs"
)

// Get implements jobs.Store.
func (s *Store) Get(ctx context.Context, id int64) (jobs.Job, error) {
	j, err := scanJob(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM troupe_jobs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return jobs.Job{}, jobs.ErrNotFound
	}
	if err != nil {
		return jobs.Job{}, fmt.Errorf("pgstore: job %d: %w", id, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT attempt, at, error FROM troupe_job_errors WHERE job_id = $1 ORDER BY seq`, id)
	if err != nil {
		return jobs.Job{}, fmt.Errorf("pgstore: job %d: %w", id, err)
	}
	j.Errors, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (jobs.AttemptError, error) {
		var e jobs.AttemptError
		var at int64
		err := r.Scan(&e.Attempt, &at, &e.Error)
		e.At = fromNanos(at)
		return e, err
	})
	if err != nil {
		return jobs.Job{}, fmt.Errorf("pgstore: job %d: %w", id, err)
	}
	return j, nil
}

// Cancel implements jobs.Store.
func (s *Store) Cancel(ctx context.Context, id int64, now time.Time) (jobs.Job, error) {
	return s.move(ctx, id, `state = $4, lease_until = 0, updated_at = $5`, []any{int16(jobs.Cancelled), nanos(now)},
		jobs.Queued, jobs.Running)
}

// Replay implements jobs.Store.
func (s *Store) Replay(ctx context.Context, id int64, now time.Time) (jobs.Job, error) {
	return s.move(ctx, id, `state = $4, attempt = 0, run_at = $5, deadline = 0, lease_until = 0, updated_at = $5`,
		[]any{int16(jobs.Queued), nanos(now)}, jobs.Dead, jobs.Cancelled)
}

// move updates job id if it is in state from or from2 (set's placeholders
// start at $4).
func (s *Store) move(ctx context.Context, id int64, set string, args []any, from, from2 jobs.State) (jobs.Job, error) {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE troupe_jobs SET `+set+` WHERE id = $1 AND state IN ($2, $3)`,
			append([]any{id, int16(from), int16(from2)}, args...)...)
		if err != nil {
			return fmt.Errorf("pgstore: job %d: %w", id, err)
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM troupe_jobs WHERE id = $1`, id).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
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
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM troupe_jobs WHERE state = $1 AND ($2 = '' OR queue = $2)
		ORDER BY updated_at, id LIMIT $3`, int16(jobs.Dead), queue, limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: dead jobs: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (jobs.Job, error) { return scanJob(r) })
	if err != nil {
		return nil, fmt.Errorf("pgstore: dead jobs: %w", err)
	}
	if err := s.withErrors(ctx, out); err != nil {
		return nil, fmt.Errorf("pgstore: dead jobs' errors: %w", err)
	}
	return out, nil
}

// withErrors fills in the errors of js, in one query.
func (s *Store) withErrors(ctx context.Context, js []jobs.Job) error {
	if len(js) == 0 {
		return nil
	}
	byID := make(map[int64]*jobs.Job, len(js))
	ids := make([]int64, len(js))
	for i := range js {
		byID[js[i].ID] = &js[i]
		ids[i] = js[i].ID
	}
	rows, err := s.pool.Query(ctx, `SELECT job_id, attempt, at, error FROM troupe_job_errors
		WHERE job_id = ANY($1) ORDER BY seq`, ids)
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
	rows, err := s.pool.Query(ctx, `SELECT queue, state, COUNT(*) FROM troupe_jobs GROUP BY queue, state`)
	if err != nil {
		return nil, fmt.Errorf("pgstore: counts: %w", err)
	}
	defer rows.Close()
	out := map[string]jobs.Counts{}
	for rows.Next() {
		var queue string
		var state int16
		var n int64
		if err := rows.Scan(&queue, &state, &n); err != nil {
			return nil, fmt.Errorf("pgstore: counts: %w", err)
		}
		c := out[queue]
		c.Add(jobs.State(state), int(n))
		out[queue] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: counts: %w", err)
	}
	return out, nil
}
