package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/troupe-go/troupe/jobs"
	"github.com/troupe-go/troupe/jobs/pgstore"
	"github.com/troupe-go/troupe/jobs/sqlitestore"
)

// OpenSQLiteJobs opens a SQLite job store in a new file jobs.db in dir,
// as the server opens its default store.
func OpenSQLiteJobs(ctx context.Context, dir string) (jobs.Store, error) {
	return sqlitestore.Open(ctx, filepath.Join(dir, "jobs.db"))
}

// OpenPostgresJobs opens a PostgreSQL job store at dsn in a new schema
// named schema, as the pgstore tests do, so that a run starts from empty
// tables and leaves nothing behind: drop closes the store and drops the
// schema.
func OpenPostgresJobs(ctx context.Context, dsn, schema string) (s jobs.Store, drop func(context.Context) error, err error) {
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: %w", err)
	}
	ident := pgx.Identifier{schema}.Sanitize()
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
		admin.Close(ctx)
		return nil, nil, fmt.Errorf("postgres: %w", err)
	}
	dropSchema := func(ctx context.Context) error {
		_, err := admin.Exec(ctx, "DROP SCHEMA "+ident+" CASCADE")
		admin.Close(ctx)
		return err
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	st, err := pgstore.Open(ctx, dsn+sep+"search_path="+schema)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: %w (and dropping the schema: %v)", err, dropSchema(ctx))
	}
	return st, func(ctx context.Context) error {
		st.Close()
		return dropSchema(ctx)
	}, nil
}

// PostgresVersion returns the server's version string at dsn.
func PostgresVersion(ctx context.Context, dsn string) (string, error) {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer c.Close(ctx)
	var v string
	err = c.QueryRow(ctx, "SHOW server_version").Scan(&v)
	return v, err
}
