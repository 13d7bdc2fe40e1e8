package envelope_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages/cache"
	"github.com/troupe-go/troupe/stages/envelope"
	"github.com/troupe-go/troupe/stages/validate"
	"go.uber.org/zap"
)

// configYAML declares the three kinds the way a server's file would.
const configYAML = `
server: {addr: "127.0.0.1:0"}
admin: {addr: "off"}
stages:
  envelope: {kind: envelope}
  cache:
    kind: cache
    options: {ttl: 30s, partitions: 2, max_bytes: 1048576}
  item-body:
    kind: validate
    options:
      max_depth: 8
      schema:
        type: object
        required: [name]
        properties:
          name: {type: string, minLength: 1}
groups:
  - prefix: /api
    stages: [envelope, cache, item-body]
    routes:
      - {method: GET, path: "/items/{id}", handler: item}
      - {method: POST, path: /items, handler: item}
`

func TestFromConfig(t *testing.T) {
	var reg config.Registry
	cache.Register(&reg)
	validate.Register(&reg)
	envelope.Register(&reg)
	reg.RegisterHandler("item", config.Kind{New: func(name string, _ config.Options) (*actors.Spec, error) {
		return troupe.Handler(name, func(ex *actors.Exchange) error {
			if doc, ok := validate.From(ex); ok {
				return ex.JSON(http.StatusCreated, doc)
			}
			return ex.JSON(http.StatusOK, map[string]string{"id": ex.Params.Get("id")})
		}), nil
	}})
	cfg, err := config.Parse("test.yaml", []byte(configYAML), &reg)
	if err != nil {
		t.Fatal(err)
	}
	app := cfg.Build(troupe.WithLogger(zap.NewNop()))
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	url := "http://" + app.Addr().String()

	first, second := get(t, url+"/api/items/7", "c-1"), get(t, url+"/api/items/7", "c-2")
	tests := []struct {
		name      string
		got       reply
		wantCache string
		wantBody  string
	}{
		{name: "miss", got: first, wantCache: "MISS", wantBody: `{"data":{"id":"7"},"error":null,"request_id":"c-1"}`},
		{name: "hit", got: second, wantCache: "HIT", wantBody: `{"data":{"id":"7"},"error":null,"request_id":"c-2"}`},
	}
	for _, tt := range tests {
		if tt.got.header.Get("X-Cache") != tt.wantCache || tt.got.body != tt.wantBody {
			t.Errorf("%s: X-Cache %q %s, want %q %s", tt.name, tt.got.header.Get("X-Cache"), tt.got.body, tt.wantCache, tt.wantBody)
		}
	}
}
