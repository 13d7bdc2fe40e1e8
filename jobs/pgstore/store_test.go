package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/troupe-go/troupe/jobs"
	"github.com/troupe-go/troupe/jobs/jobstest"
	"github.com/troupe-go/troupe/jobs/pgstore"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// dsn returns the test database's DSN (.ci/postgres.sh starts one); the
// tests are skipped without it, except under CI=true, where they fail.
func dsn(t *testing.T) string {
	t.Helper()
	d := os.Getenv("TROUPE_TEST_POSTGRES")
	if d == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TROUPE_TEST_POSTGRES is not set: CI runs the PostgreSQL store's tests (see .ci/postgres.sh)")
		}
		t.Skip("TROUPE_TEST_POSTGRES is not set (see .ci/postgres.sh)")
	}
	return d
}

var schemas atomic.Int64

// open returns a store in a schema of its own, dropped when the test ends.
func open(t *testing.T) jobs.Store {
	t.Helper()
	base := dsn(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("troupe_test_%d_%d", os.Getpid(), schemas.Add(1))
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE")
		admin.Close(context.Background())
	})
	sep := "?"
	if containsQuery(base) {
		sep = "&"
	}
	s, err := pgstore.Open(ctx, base+sep+"search_path="+name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func containsQuery(s string) bool {
	for _, c := range s {
		if c == '?' {
			return true
		}
	}
	return false
}

// TestConformance runs the store suite on PostgreSQL.
func TestConformance(t *testing.T) { jobstest.Run(t, open) }
