package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/jobs"
	"github.com/troupe-go/troupe/jobs/pgstore"
	"github.com/troupe-go/troupe/jobs/sqlitestore"
)

// jobStore opens the store of cfg's jobs section: PostgreSQL for a
// postgres:// URL, else a SQLite file (at path instead, if not empty:
// -check uses a scratch file) and returns the app option
// that hands it to the app, and a function that closes it once the app
// has stopped. Without a jobs section it opens nothing.
func jobStore(ctx context.Context, cfg *config.Config, path string) ([]troupe.Option, func(), error) {
	if cfg.Jobs == nil {
		return nil, func() {}, nil
	}
	if path == "" {
		path = cfg.Jobs.Store
	}
	var s jobs.Store
	var err error
	if strings.HasPrefix(path, "postgres://") || strings.HasPrefix(path, "postgresql://") {
		s, err = pgstore.Open(ctx, path)
	} else {
		s, err = sqlitestore.Open(ctx, path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: jobs store: %w", cfg.File, err)
	}
	return []troupe.Option{troupe.WithJobStore(s)}, func() { s.Close() }, nil
}
