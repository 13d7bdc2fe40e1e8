package when_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/timing"
	"github.com/troupe-go/troupe/stages/when"
	"go.uber.org/zap"
)

// A catalogue stage made conditional: Server-Timing only for requests
// that carry X-Debug. Stage wraps the Spec that timing.New returns; it
// keeps its name and priority.
func ExampleStage() {
	st, err := timing.New("server-timing", timing.Config{})
	if err != nil {
		panic(err)
	}
	debugOnly := when.Stage(when.Header("X-Debug"), st)
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	app.Use(debugOnly)
	app.GET("/items", func(ex *actors.Exchange) error { return ex.JSON(http.StatusOK, []string{}) })
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())

	fmt.Println(debugOnly.Name, debugOnly.Priority)
	for _, debug := range []bool{false, true} {
		r := httptest.NewRequest(http.MethodGet, "/items", nil)
		if debug {
			r.Header.Set("X-Debug", "1")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		fmt.Printf("X-Debug %v: %d, Server-Timing sent: %v\n", debug, rec.Code, rec.Header().Get("Server-Timing") != "")
	}
	// Output:
	// server-timing global
	// X-Debug false: 200, Server-Timing sent: false
	// X-Debug true: 200, Server-Timing sent: true
}
