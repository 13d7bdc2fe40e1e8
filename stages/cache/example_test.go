package cache_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/cache"
	"go.uber.org/zap"
)

// A cache in front of a slow handler: the first GET reaches the handler
// (MISS), the second is answered from the cache (HIT), and a request that
// asks for a fresh answer with Cache-Control: no-cache reaches it again.
func ExampleNew() {
	c, err := cache.New("cache", cache.Config{TTL: time.Minute})
	if err != nil {
		panic(err)
	}
	calls := 0
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	app.GET("/report", func(ex *actors.Exchange) error {
		calls++ // requests run one after another here
		return ex.JSON(http.StatusOK, map[string]int{"call": calls})
	}).With(c)
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())

	for _, cacheControl := range []string{"", "", "no-cache"} {
		r := httptest.NewRequest(http.MethodGet, "/report", nil)
		if cacheControl != "" {
			r.Header.Set("Cache-Control", cacheControl)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		fmt.Println(rec.Code, rec.Header().Get("X-Cache"), rec.Body.String())
	}
	// Output:
	// 200 MISS {"call":1}
	// 200 HIT {"call":1}
	// 200 MISS {"call":2}
}
