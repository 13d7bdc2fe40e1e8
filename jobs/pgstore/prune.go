package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/troupe-go/troupe/jobs"
)

// Prune implements jobs.Store. Nodes that prune at once take different
// rows (SKIP LOCKED) and never wait for each other.
func (s *Store) Prune(ctx context.Context, done, dead time.Time, limit int) (int, error) {
	if limit <= 0 || (done.IsZero() && dead.IsZero()) {
		return 0, nil
	}
	var n int
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id FROM troupe_jobs
			WHERE (state IN ($1, $2) AND updated_at < $3) OR (state = $4 AND updated_at < $5)
			ORDER BY updated_at, id LIMIT $6 FOR UPDATE SKIP LOCKED`,
			int16(jobs.Succeeded), int16(jobs.Cancelled), nanos(done), int16(jobs.Dead), nanos(dead), limit)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil || len(ids) == 0 {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM troupe_job_errors WHERE job_id = ANY($1)`, ids); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM troupe_jobs WHERE id = ANY($1)`, ids)
		n = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("pgstore: prune: %w", err)
	}
	return n, nil
}
