package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/troupe-go/troupe/jobs"
)

// leased runs an update on the job held by lease l, inside tx; it fails
// with jobs.ErrLeaseLost if l is not the job's running attempt.
func leased(ctx context.Context, tx *sql.Tx, l jobs.Lease, set string, args ...any) error {
	args = append(args, l.ID, jobs.Running, l.Attempt)
	res, err := tx.ExecContext(ctx, `UPDATE jobs SET `+set+` WHERE id = ? AND state = ? AND attempt = ?`, args...)
	if err != nil {
		return fmt.Errorf("sqlitestore: job %d: %w", l.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlitestore: job %d: %w", l.ID, err)
	} else if n == 0 {
		return jobs.ErrLeaseLost
	}
	return nil
}

func addError(ctx context.Context, tx *sql.Tx, l jobs.Lease, msg string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO job_errors (job_id, attempt, at, error) VALUES (?, ?, ?, ?)`,
		l.ID, l.Attempt, nanos(now), msg)
	if err != nil {
		return fmt.Errorf("sqlitestore: job %d: %w", l.ID, err)
	}
	return nil
}

// Heartbeat implements jobs.Store.
func (s *Store) Heartbeat(ctx context.Context, l jobs.Lease, until time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		return leased(ctx, tx, l, `lease_until = ?`, nanos(until))
	})
}

// Complete implements jobs.Store.
func (s *Store) Complete(ctx context.Context, l jobs.Lease, result []byte, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		return leased(ctx, tx, l, `state = ?, result = ?, lease_until = 0, updated_at = ?`, jobs.Succeeded, result, nanos(now))
	})
}

// Fail implements jobs.Store.
func (s *Store) Fail(ctx context.Context, l jobs.Lease, msg string, next, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := leased(ctx, tx, l, `state = ?, run_at = ?, lease_until = 0, updated_at = ?`, jobs.Queued, nanos(next), nanos(now)); err != nil {
			return err
		}
		return addError(ctx, tx, l, msg, now)
	})
}

// Kill implements jobs.Store.
func (s *Store) Kill(ctx context.Context, l jobs.Lease, msg string, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := leased(ctx, tx, l, `state = ?, lease_until = 0, updated_at = ?`, jobs.Dead, nanos(now)); err != nil {
			return err
		}
		return addError(ctx, tx, l, msg, now)
	})
}

// Release implements jobs.Store.
func (s *Store) Release(ctx context.Context, l jobs.Lease, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		return leased(ctx, tx, l, `state = ?, attempt = attempt - 1, run_at = ?, lease_until = 0, updated_at = ?`,
			jobs.Queued, nanos(now), nanos(now))
	})
}
