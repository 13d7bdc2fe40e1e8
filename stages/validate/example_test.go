package validate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/validate"
	"go.uber.org/zap"
)

// A schema on a POST route: a body that matches reaches the handler,
// already decoded; one that does not gets 422 with a JSON Pointer to each
// value at fault; one that is not JSON at all gets 415.
func ExampleNew() {
	item, err := validate.New("item-body", validate.Config{Schema: map[string]any{
		"type":       "object",
		"required":   []any{"name"},
		"properties": map[string]any{"name": map[string]any{"type": "string", "minLength": 1}, "price": map[string]any{"type": "number"}},
	}})
	if err != nil {
		panic(err)
	}
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	app.POST("/items", func(ex *actors.Exchange) error {
		doc, _ := validate.From(ex) // decoded once, by the stage
		return ex.JSON(http.StatusCreated, doc)
	}).With(item)
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())

	for _, tc := range []struct{ contentType, body string }{
		{"application/json", `{"name":"lamp","price":12.5}`},
		{"application/json", `{"name":"","price":"cheap"}`},
		{"text/plain", `lamp`},
	} {
		r := httptest.NewRequest(http.MethodPost, "/items", strings.NewReader(tc.body))
		r.Header.Set("Content-Type", tc.contentType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		switch rec.Code {
		case http.StatusCreated:
			fmt.Println(rec.Code, rec.Body)
		case http.StatusUnprocessableEntity:
			var problem struct {
				Errors []struct{ Pointer string } `json:"errors"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &problem); err != nil {
				panic(err)
			}
			fmt.Println(rec.Code, "errors at", problem.Errors)
		default:
			fmt.Println(rec.Code, "Accept:", rec.Header().Get("Accept"))
		}
	}
	// Output:
	// 201 {"name":"lamp","price":12.5}
	// 422 errors at [{/name} {/price}]
	// 415 Accept: application/json
}
