package cors_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/cors"
	"go.uber.org/zap"
)

// A CORS stage on an API group: it answers a browser's preflight itself,
// and marks the responses its allowed origins may read.
func ExampleNew() {
	c, err := cors.New("cors", cors.Config{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET", "PUT"}})
	if err != nil {
		panic(err)
	}
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	api := app.Group("/api", c)
	api.PUT("/items/{id}", func(ex *actors.Exchange) error {
		return ex.JSON(http.StatusOK, map[string]string{"id": ex.Params.Get("id")})
	})
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())

	preflight := httptest.NewRequest("OPTIONS", "/api/items/7", nil)
	preflight.Header.Set("Origin", "https://app.example.com")
	preflight.Header.Set("Access-Control-Request-Method", "PUT")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, preflight)
	fmt.Println(rec.Code, rec.Header().Get("Access-Control-Allow-Origin"), rec.Header().Get("Access-Control-Allow-Methods"))

	put := httptest.NewRequest("PUT", "/api/items/7", nil)
	put.Header.Set("Origin", "https://app.example.com")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, put)
	fmt.Println(rec.Code, rec.Header().Get("Access-Control-Allow-Origin"), rec.Body)
	// Output:
	// 204 https://app.example.com GET, PUT
	// 200 https://app.example.com {"id":"7"}
}
