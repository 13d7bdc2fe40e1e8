package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/troupe-go/troupe/jobs"
)

// Prune implements jobs.Store. Each call is one short transaction, so that
// pruning a large backlog in batches never holds the one writer for long.
func (s *Store) Prune(ctx context.Context, done, dead time.Time, limit int) (int, error) {
	if limit <= 0 || (done.IsZero() && dead.IsZero()) {
		return 0, nil
	}
	var n int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM jobs
			WHERE (state IN (?, ?) AND updated_at < ?) OR (state = ? AND updated_at < ?)
			ORDER BY updated_at, id LIMIT ?`,
			jobs.Succeeded, jobs.Cancelled, nanos(done), jobs.Dead, nanos(dead), limit)
		if err != nil {
			return err
		}
		var ids []any
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		in := `(?` + strings.Repeat(", ?", len(ids)-1) + `)`
		if _, err := tx.ExecContext(ctx, `DELETE FROM job_errors WHERE job_id IN `+in, ids...); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE id IN `+in, ids...)
		if err != nil {
			return err
		}
		m, err := res.RowsAffected()
		n = int(m)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlitestore: prune: %w", err)
	}
	return n, nil
}
