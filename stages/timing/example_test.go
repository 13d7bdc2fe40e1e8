package timing_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/timing"
	"go.uber.org/zap"
)

// Server-Timing on every route: a metric for each stage after the timing
// stage, the handler's included, and the total. The durations change
// from run to run, so only the metrics' names are printed.
func ExampleNew() {
	st, err := timing.New("server-timing", timing.Config{})
	if err != nil {
		panic(err)
	}
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	app.Use(st)
	lookup := troupe.Stage("lookup", actors.Business, actors.StageFunc(func(*actors.Exchange) error { return nil }))
	app.Handle(http.MethodGet, "/items", troupe.Handler("list-items", func(ex *actors.Exchange) error {
		return ex.JSON(http.StatusOK, []string{})
	})).With(lookup)
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/items", nil))
	var names []string
	for metric := range strings.SplitSeq(rec.Header().Get("Server-Timing"), ", ") {
		name, _, _ := strings.Cut(metric, ";")
		names = append(names, name)
	}
	fmt.Println(rec.Code, names)
	// Output:
	// 200 [lookup list-items total]
}
