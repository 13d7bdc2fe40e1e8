package maintenance_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/maintenance"
	"go.uber.org/zap"
)

// Maintenance switched on and off from Go, with Of(spec).Switch(): while
// it is on, every path but the allowed /status gets 503 with Retry-After.
func ExampleNew() {
	spec, err := maintenance.New("maintenance", maintenance.Config{Message: "back soon", Allow: []string{"/status"}})
	if err != nil {
		panic(err)
	}
	m, _ := maintenance.Of(spec) // the stage of the Spec New returned
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	app.Use(spec)
	ok := func(ex *actors.Exchange) error { return ex.JSON(http.StatusOK, "ok") }
	app.GET("/items", ok)
	app.GET("/status", ok)
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())
	get := func(path string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Printf("%s %d %q\n", path, rec.Code, rec.Header().Get("Retry-After"))
	}

	m.Switch().Set(maintenance.Mode{Enabled: true, RetryAfter: 5 * time.Minute, Message: "upgrading the database"})
	get("/items")
	get("/status")
	m.Switch().Set(maintenance.Mode{})
	get("/items")
	// Output:
	// /items 503 "300"
	// /status 200 ""
	// /items 200 ""
}
