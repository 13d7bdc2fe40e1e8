package troupe_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"go.uber.org/zap"
)

// An app with a stage of its own on an API group and a GET route, mounted
// in an httptest server with Handler. The stage runs for the group's
// routes only, and can answer for the handler.
func Example() {
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	jsonOnly := troupe.Stage("json-only", actors.Preprocessing, actors.StageFunc(func(ex *actors.Exchange) error {
		if ex.Request.Header.Get("Accept") == "text/html" {
			return actors.NewError(http.StatusNotAcceptable, "this API speaks JSON")
		}
		return nil
	}))
	api := app.Group("/api", jsonOnly)
	api.GET("/items/{id}", func(ex *actors.Exchange) error {
		return ex.JSON(http.StatusOK, map[string]string{"id": ex.Params.Get("id")})
	})
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())
	srv := httptest.NewServer(h)
	defer srv.Close()

	for _, accept := range []string{"application/json", "text/html"} {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/items/7", nil)
		if err != nil {
			panic(err)
		}
		req.Header.Set("Accept", accept)
		res, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			panic(err)
		}
		if res.StatusCode == http.StatusOK {
			fmt.Println(res.StatusCode, string(body))
		} else {
			fmt.Println(res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	// Output:
	// 200 {"id":"7"}
	// 406 application/problem+json
}
