package throttle_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/throttle"
	"go.uber.org/zap"
)

// A throttle of one report at a time, with no backlog: while one report
// runs, another is refused at once with 503 and Retry-After.
func ExampleNew() {
	th, err := throttle.New("one-report", throttle.Config{Limit: 1})
	if err != nil {
		panic(err)
	}
	running, finish := make(chan struct{}), make(chan struct{})
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	app.GET("/report", func(ex *actors.Exchange) error {
		close(running) // only the first request gets here
		<-finish
		return ex.JSON(http.StatusOK, "report")
	}).With(th)
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())
	get := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/report", nil))
		return rec
	}

	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- get() }()
	<-running // the first request holds the only slot
	second := get()
	fmt.Println("second:", second.Code, "Retry-After", second.Header().Get("Retry-After"))
	close(finish)
	fmt.Println("first:", (<-first).Code)
	// Output:
	// second: 503 Retry-After 1
	// first: 200
}
