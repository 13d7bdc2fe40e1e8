package breaker_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/breaker"
	"github.com/troupe-go/troupe/stagetest"
)

// BenchmarkStage measures what the breaker adds to a request: its Process
// (gobreaker's Allow, the report function kept in the exchange) and its
// after-phase (the outcome, gobreaker's report, a counter), on one
// exchange over and over.
func BenchmarkStage(b *testing.B) {
	spec := mustNew(b, breaker.Config{})
	st := spec.Stage.(actors.AfterStage)
	ex := stagetest.Exchange(b, httptest.NewRequest(http.MethodGet, "/orders", nil))
	ex.Respond(http.StatusOK, "", nil)
	b.ReportAllocs()
	for b.Loop() {
		if err := st.Process(ex); err != nil {
			b.Fatal(err)
		}
		st.After(ex)
	}
}
