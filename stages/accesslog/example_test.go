package accesslog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/accesslog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// An access log on every route of an app: one JSON line per request, with
// its status and size, whatever answered it. The lines go to a buffer
// here; the fields that change from run to run (time, duration) are left
// out of what is printed.
func ExampleNew() {
	var lines bytes.Buffer
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&lines), zap.InfoLevel))
	access, err := accesslog.New("access-log", accesslog.Config{Logger: logger})
	if err != nil {
		panic(err)
	}
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	app.Use(access)
	app.GET("/items/{id}", func(ex *actors.Exchange) error {
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

	for i, path := range []string{"/items/7?token=secret", "/items/8"} {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Header.Set("X-Request-ID", fmt.Sprintf("req-%d", i+1))
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	dec := json.NewDecoder(&lines)
	for dec.More() {
		var l map[string]any
		if err := dec.Decode(&l); err != nil {
			panic(err)
		}
		fmt.Println(l["msg"], l["request_id"], l["method"], l["route"], l["path"], l["status"], l["bytes"])
	}
	// Output:
	// request req-1 GET /items/{id} /items/7 200 10
	// request req-2 GET /items/{id} /items/8 404 122
}
