package envelope_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/envelope"
	"go.uber.org/zap"
)

// An envelope on an API group: an answer and an error come back in the
// same shape, with the request's id.
func ExampleNew() {
	env, err := envelope.New("envelope", envelope.Config{})
	if err != nil {
		panic(err)
	}
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	api := app.Group("/api", env)
	api.GET("/items/{id}", func(ex *actors.Exchange) error {
		if ex.Params.Get("id") != "7" {
			return actors.NewError(http.StatusNotFound, "no such item")
		}
		return ex.JSON(http.StatusOK, map[string]string{"id": "7"})
	})
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())

	for i, path := range []string{"/api/items/7", "/api/items/8"} {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Header.Set("X-Request-ID", fmt.Sprintf("req-%d", i+1))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		fmt.Println(rec.Code, rec.Body)
	}
	// Output:
	// 200 {"data":{"id":"7"},"error":null,"request_id":"req-1"}
	// 404 {"data":null,"error":{"type":"about:blank","title":"Not Found","status":404,"detail":"no such item","instance":"/api/items/8","request_id":"req-2"},"request_id":"req-2"}
}
