package envelope_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/cache"
	"github.com/troupe-go/troupe/stages/envelope"
	"github.com/troupe-go/troupe/stages/validate"
)

// apiApp is an /api group with an envelope, a cache and a validate stage,
// as a configuration would declare them (at their kinds' priorities).
func apiApp(t *testing.T, calls *atomic.Int64) func(app *troupe.App) {
	return func(app *troupe.App) {
		c, err := cache.New("cache", cache.Config{})
		if err != nil {
			t.Fatal(err)
		}
		v, err := validate.New("validate", validate.Config{Schema: map[string]any{
			"type": "object", "required": []any{"name"},
			"properties": map[string]any{"name": map[string]any{"type": "string"}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		env, err := envelope.New("envelope", envelope.Config{})
		if err != nil {
			t.Fatal(err)
		}
		api := app.Group("/api", env, c, v)
		api.GET("/items/{id}", func(ex *actors.Exchange) error {
			calls.Add(1)
			return ex.JSON(http.StatusOK, map[string]string{"id": ex.Params.Get("id")})
		})
		api.Handle("POST", "/items", troupe.Handler("create", func(ex *actors.Exchange) error {
			doc, ok := validate.From(ex) // decoded once, by the stage
			if !ok {
				return actors.NewError(http.StatusInternalServerError, "no decoded body")
			}
			return ex.JSON(http.StatusCreated, doc)
		}))
	}
}

// TestEnvelopeOutsideCache checks that the envelope wraps each answer the
// cache gives with that request's own id, and that ETags survive it.
func TestEnvelopeOutsideCache(t *testing.T) {
	var calls atomic.Int64
	url := start(t, apiApp(t, &calls))
	first := get(t, url+"/api/items/1", "req-1")
	if want := `{"data":{"id":"1"},"error":null,"request_id":"req-1"}`; first.body != want || first.header.Get("X-Cache") != "MISS" {
		t.Errorf("first GET = %s X-Cache %q, want %s MISS", first.body, first.header.Get("X-Cache"), want)
	}
	second := get(t, url+"/api/items/1", "req-2")
	if want := `{"data":{"id":"1"},"error":null,"request_id":"req-2"}`; second.body != want || second.header.Get("X-Cache") != "HIT" {
		t.Errorf("second GET = %s X-Cache %q, want %s HIT", second.body, second.header.Get("X-Cache"), want)
	}
	etag := second.header.Get("Etag")
	if !strings.HasPrefix(etag, `W/"`) || etag != first.header.Get("Etag") {
		t.Fatalf("ETags %q then %q, want one weak tag", first.header.Get("Etag"), etag)
	}
	third := get(t, url+"/api/items/1", "req-3", "If-None-Match", etag)
	if third.status != http.StatusNotModified || third.body != "" {
		t.Errorf("GET with If-None-Match = %d %q, want 304 and no body", third.status, third.body)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
}

func TestEnvelopeAroundValidation(t *testing.T) {
	var calls atomic.Int64
	url := start(t, apiApp(t, &calls))
	post := func(body string) reply {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", url+"/api/items", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-ID", "req-p")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return reply{status: res.StatusCode, header: res.Header, body: string(b)}
	}
	tests := []struct {
		name       string
		give       string
		wantStatus int
		wantBody   string
	}{
		{name: "valid", give: `{"name":"lamp"}`, wantStatus: 201, wantBody: `{"data":{"name":"lamp"},"error":null,"request_id":"req-p"}`},
		{name: "invalid", give: `{"name":1}`, wantStatus: 422, wantBody: `{"data":null,"error":{"type":"about:blank","title":"Unprocessable Entity","status":422,` +
			`"detail":"the request body does not match the schema","instance":"/api/items","request_id":"req-p",` +
			`"errors":[{"pointer":"/name","detail":"got number, want string"}]},"request_id":"req-p"}`},
		{name: "not JSON", give: `{`, wantStatus: 400, wantBody: `{"data":null,"error":{"type":"about:blank","title":"Bad Request","status":400,` +
			`"detail":"the request body is not valid JSON: unexpected end of JSON input at byte 1","instance":"/api/items","request_id":"req-p"},"request_id":"req-p"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(tt.give)
			if got.status != tt.wantStatus || got.body != tt.wantBody {
				t.Errorf("POST %s = %d %s, want %d %s", tt.give, got.status, got.body, tt.wantStatus, tt.wantBody)
			}
			if !json.Valid([]byte(got.body)) {
				t.Errorf("POST %s: body is not JSON", tt.give)
			}
		})
	}
}
