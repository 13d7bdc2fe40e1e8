package ratelimit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/ratelimit"
	"go.uber.org/zap"
)

// A rate limit of 2 requests an hour per client address: the third
// request is refused with 429, and told when to come back.
func ExampleNew() {
	rl, err := ratelimit.New("per-client", ratelimit.Config{Limit: 2, Period: time.Hour})
	if err != nil {
		panic(err)
	}
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	app.GET("/quota", func(ex *actors.Exchange) error {
		return ex.JSON(http.StatusOK, "ok")
	}).With(rl)
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())

	for range 3 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/quota", nil)) // always from 192.0.2.1
		fmt.Printf("%d remaining=%s retry-after=%q\n", rec.Code, rec.Header().Get(ratelimit.HeaderRemaining), rec.Header().Get("Retry-After"))
	}
	// Output:
	// 200 remaining=1 retry-after=""
	// 200 remaining=0 retry-after=""
	// 429 remaining=0 retry-after="1800"
}
