package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/troupe-go/troupe/jobs"
	"github.com/troupe-go/troupe/jobs/jobstest"
	"github.com/troupe-go/troupe/jobs/sqlitestore"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestConformance runs the store suite on a file database (WAL mode needs
// a file).
func TestConformance(t *testing.T) {
	jobstest.Run(t, func(t *testing.T) jobs.Store {
		s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "jobs.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
