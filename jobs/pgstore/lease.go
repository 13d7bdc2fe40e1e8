package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/troupe-go/troupe/jobs"
)

// leased updates the job held by lease l (set's placeholders start at $4),
// inside tx; jobs.ErrLeaseLost if l is not the job's running attempt.
func leased(ctx context.Context, tx pgx.Tx, l jobs.Lease, set string, args ...any) error {
	args = append([]any{l.ID, int16(jobs.Running), l.Attempt}, args...)
	tag, err := tx.Exec(ctx, `UPDATE troupe_jobs SET `+set+` WHERE id = $1 AND state = $2 AND attempt = $3`, args...)
	if err != nil {
		return fmt.Errorf("pgstore: job %d: %w", l.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return jobs.ErrLeaseLost
	}
	return nil
}

func addError(ctx context.Context, tx pgx.Tx, l jobs.Lease, msg string, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO troupe_job_errors (job_id, attempt, at, error) VALUES ($1, $2, $3, $4)`,
		l.ID, l.Attempt, nanos(now), msg); err != nil {
		return fmt.Errorf("pgstore: job %d: %w", l.ID, err)
	}
	return nil
}

func (s *Store) tx(ctx context.Context, f func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, f)
}

// Heartbeat implements jobs.Store.
func (s *Store) Heartbeat(ctx context.Context, l jobs.Lease, until time.Time) error {
	return s.tx(ctx, func(tx pgx.Tx) error { return leased(ctx, tx, l, `lease_until = $4`, nanos(until)) })
}

// Complete implements jobs.Store.
func (s *Store) Complete(ctx context.Context, l jobs.Lease, result []byte, now time.Time) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		return leased(ctx, tx, l, `state = $4, result = $5, lease_until = 0, updated_at = $6`, int16(jobs.Succeeded), result, nanos(now))
	})
}

// Fail implements jobs.Store.
func (s *Store) Fail(ctx context.Context, l jobs.Lease, msg string, next, now time.Time) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := leased(ctx, tx, l, `state = $4, run_at = $5, lease_until = 0, updated_at = $6`, int16(jobs.Queued), nanos(next), nanos(now)); err != nil {
			return err
		}
		return addError(ctx, tx, l, msg, now)
	})
}

// Kill implements jobs.Store.
func (s *Store) Kill(ctx context.Context, l jobs.Lease, msg string, now time.Time) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := leased(ctx, tx, l, `state = $4, lease_until = 0, updated_at = $5`, int16(jobs.Dead), nanos(now)); err != nil {
			return err
		}
		return addError(ctx, tx, l, msg, now)
	})
}

// Release implements jobs.Store.
func (s *Store) Release(ctx context.Context, l jobs.Lease, now time.Time) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		return leased(ctx, tx, l, `state = $4, attempt = attempt - 1, run_at = $5, lease_until = 0, updated_at = $5`,
			int16(jobs.Queued), nanos(now))
	})
}
