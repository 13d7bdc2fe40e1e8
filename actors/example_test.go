package actors_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
)

// tenant is a per-request value: the stage below sets it, the handler reads it.
var tenant = actors.NewKey[string]("tenant")

// A stage with a before and an after phase, a typed per-request value, an
// error that becomes a problem+json 400, and a handler.
func Example() {
	app := troupe.New(troupe.Config{})
	app.Use(troupe.Stage("tenant", actors.Auth, actors.Around(
		func(ex *actors.Exchange) error {
			t := ex.Request.Header.Get("X-Tenant")
			if t == "" {
				return actors.NewError(http.StatusBadRequest, "X-Tenant is required")
			}
			tenant.Set(ex, t)
			return nil
		},
		func(ex *actors.Exchange) { ex.Response.Header().Set("X-Served-For", get(ex)) },
	)))
	app.GET("/hello", func(ex *actors.Exchange) error {
		return ex.JSON(http.StatusOK, map[string]string{"hello": get(ex)})
	})
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer func() { srv.Close(); _ = app.Close(context.Background()) }()

	for _, who := range []string{"acme", ""} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/hello", nil)
		req.Header.Set("X-Tenant", who)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var problem actors.Problem
		if resp.StatusCode != http.StatusOK && json.Unmarshal(body, &problem) == nil {
			body = []byte(problem.Detail)
		}
		fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("X-Served-For"), string(body))
	}
	// Output:
	// 200 application/json acme {"hello":"acme"}
	// 400 application/problem+json  X-Tenant is required
}

// get returns the request's tenant, set by the tenant stage.
func get(ex *actors.Exchange) string {
	t, _ := tenant.Get(ex)
	return t
}
