package timeout_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/timeout"
	"go.uber.org/zap"
)

// A timeout of 50ms on a search group: a search that takes longer is
// answered 504 at the deadline, and the handler's context says why it
// should stop. A route outside the group keeps the server's deadline.
func ExampleNew() {
	t, err := timeout.New("search-timeout", timeout.Config{Timeout: 50 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	stopped := make(chan error, 1)
	search := app.Group("/search", t)
	search.GET("/slow", func(ex *actors.Exchange) error {
		<-ex.Context().Done() // a search that would take longer than its deadline
		stopped <- ex.Context().Err()
		return ex.Context().Err()
	})
	app.GET("/fast", func(ex *actors.Exchange) error { return ex.JSON(http.StatusOK, "done") })
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())

	for _, path := range []string{"/search/slow", "/fast"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Println(path, rec.Code)
	}
	fmt.Println("the slow search stopped:", <-stopped)
	// Output:
	// /search/slow 504
	// /fast 200
	// the slow search stopped: context deadline exceeded
}
