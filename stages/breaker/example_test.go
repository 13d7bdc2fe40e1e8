package breaker_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/breaker"
	"go.uber.org/zap"
)

// A breaker around a group's handlers, which call a database: after two
// failures in a row it opens, and the requests that follow are refused at
// once with 503 and a Retry-After of the time it stays open, without
// calling the database.
func ExampleNew() {
	db, err := breaker.New("orders-db", breaker.Config{ConsecutiveFailures: 2, OpenTimeout: time.Minute})
	if err != nil {
		panic(err)
	}
	var calls atomic.Int64
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	app.Add(breaker.Metrics(db)) // troupe_breaker_* on /metrics
	orders := app.Group("/orders").Use(db)
	orders.GET("/{id}", func(ex *actors.Exchange) error {
		calls.Add(1)
		return errors.New("orders database: connection refused") // a 500
	})
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())

	for range 3 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/orders/42", nil))
		secs, _ := strconv.Atoi(rec.Header().Get("Retry-After"))
		fmt.Println(rec.Code, strings.Contains(rec.Body.String(), "circuit open"), "retry within a minute:", secs >= 1 && secs <= 60)
	}
	fmt.Println("database calls:", calls.Load(), "breaker:", breaker.StateOf(db))
	// Output:
	// 500 false retry within a minute: false
	// 500 false retry within a minute: false
	// 503 true retry within a minute: true
	// database calls: 2 breaker: open
}
