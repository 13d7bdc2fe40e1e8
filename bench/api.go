package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The api scenario: the catalogue's typical API stack — request id, access
// log, API-key auth, rate limit, JSON Schema validation — in front of a
// handler that creates an item, served by troupe (api_troupe.go) and by
// plain net/http with well-known middleware libraries (api_nethttp.go).
// This file holds what both peers share: the route, the key, the body, the
// schema, the reply, the access logger and the conformance cases.

// APIPath is the api scenario's route: POST only.
const APIPath = "/items"

// APIKeyHeader is the request header that carries the API key.
const APIKeyHeader = "X-API-Key"

// APIKeyName is the name of the one accepted key (the troupe principal's
// subject); APIKeyValue is the key itself.
const (
	APIKeyName  = "bench"
	APIKeyValue = "bench-key-0123456789abcdef"
)

// APIMaxBodyBytes is the route's body limit, as in cmd/server/default.yaml.
const APIMaxBodyBytes = 16384

// APIRate and APIBurst make a rate limit generous enough never to trigger:
// a billion requests a second per key, in bursts of a billion. The limit
// is still checked and accounted on every request.
const (
	APIRate  = 1e9
	APIBurst = 1_000_000_000
)

// APIBody is the body the load generator POSTs: 89 bytes of JSON that the
// item schema accepts.
const APIBody = `{"name":"adjustable desk lamp","price":12.5,"tags":["lighting","office","led","dimmable"]}`

// APIItemName is the name in APIBody, which the handler echoes.
const APIItemName = "adjustable desk lamp"

// ItemSchema is cmd/server/default.yaml's item-schema, as JSON.
const ItemSchema = `{
  "type": "object",
  "required": ["name"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 100},
    "price": {"type": "number", "minimum": 0},
    "tags": {"type": "array", "maxItems": 10, "items": {"type": "string", "maxLength": 30}}
  }
}`

// itemSchemaDoc returns ItemSchema decoded as encoding/json decodes it.
func itemSchemaDoc() any {
	var doc any
	if err := json.Unmarshal([]byte(ItemSchema), &doc); err != nil {
		panic("bench: ItemSchema is not JSON: " + err.Error())
	}
	return doc
}

// APIReply is the handler's 201 body: the new item's id and its name.
type APIReply struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Access-log fields, the same for both peers, in this order: request_id,
// method, route, path, status, bytes, duration, client_ip, user_agent.
// (troupe's stages/accesslog writes them; the net/http peer's middleware
// writes the same.)
var AccessLogFields = []string{"request_id", "method", "route", "path", "status", "bytes", "duration", "client_ip", "user_agent"}

// NewAccessLogger returns the access logger both peers use: zap's
// production JSON encoder, Info level, writing to w without sampling (pass
// io.Discard to measure; a buffer to look at the lines).
func NewAccessLogger(w io.Writer) *zap.Logger {
	return zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(w), zapcore.InfoLevel))
}

// APICase is one request of the api scenario's conformance check, with the
// status both peers must answer.
type APICase struct {
	Name        string
	Method      string
	ContentType string
	Key         string // "" sends no X-API-Key
	Body        string
	WantStatus  int
}

// APICases are the conformance checks run on both peers before measuring:
// the request the load generator sends (201), and each way the stack
// refuses one.
var APICases = []APICase{
	{Name: "created", Method: http.MethodPost, ContentType: "application/json", Key: APIKeyValue, Body: APIBody, WantStatus: http.StatusCreated},
	{Name: "no key", Method: http.MethodPost, ContentType: "application/json", Body: APIBody, WantStatus: http.StatusUnauthorized},
	{Name: "wrong key", Method: http.MethodPost, ContentType: "application/json", Key: "wrong-key-0123456789abcdef", Body: APIBody, WantStatus: http.StatusUnauthorized},
	{Name: "schema", Method: http.MethodPost, ContentType: "application/json", Key: APIKeyValue, Body: `{"price":-1,"extra":1}`, WantStatus: http.StatusUnprocessableEntity},
	{Name: "not json", Method: http.MethodPost, ContentType: "application/json", Key: APIKeyValue, Body: `{"name":`, WantStatus: http.StatusBadRequest},
	{Name: "media type", Method: http.MethodPost, ContentType: "text/plain", Key: APIKeyValue, Body: "x", WantStatus: http.StatusUnsupportedMediaType},
}

// Request returns the case's request to base (scheme and host, or "" for a
// server-less request).
func (c APICase) Request(base string) (*http.Request, error) {
	req, err := http.NewRequest(c.Method, base+APIPath, strings.NewReader(c.Body))
	if err != nil {
		return nil, err
	}
	if c.ContentType != "" {
		req.Header.Set("Content-Type", c.ContentType)
	}
	if c.Key != "" {
		req.Header.Set(APIKeyHeader, c.Key)
	}
	return req, nil
}

// Check returns nil if the answer is what the case wants: its status; for
// 201, a JSON APIReply naming the item, with a Location; for the errors, a
// problem+json body with the request id; for 401, a WWW-Authenticate
// challenge. Every answer carries X-Request-ID.
func (c APICase) Check(status int, h http.Header, body []byte) error {
	if status != c.WantStatus {
		return fmt.Errorf("%s: status %d, want %d (body %s)", c.Name, status, c.WantStatus, body)
	}
	id := h.Get("X-Request-ID")
	if v := h["X-Request-ID"]; id == "" && len(v) > 0 {
		// troupe's ingress sets the key as written, not in canonical
		// form: over the wire the two are the same header, but
		// Header.Get on the ResponseWriter's map misses it.
		id = v[0]
	}
	if id == "" {
		return fmt.Errorf("%s: no X-Request-ID", c.Name)
	}
	if status == http.StatusCreated {
		var r APIReply
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil || r.ID == "" || r.Name != APIItemName {
			return fmt.Errorf("%s: body %s is not {\"id\":…,\"name\":%q} (%v)", c.Name, body, APIItemName, err)
		}
		if ct := h.Get("Content-Type"); ct != "application/json" {
			return fmt.Errorf("%s: Content-Type %q, want application/json", c.Name, ct)
		}
		if loc := h.Get("Location"); loc != APIPath+"/"+r.ID {
			return fmt.Errorf("%s: Location %q, want %s/%s", c.Name, loc, APIPath, r.ID)
		}
		return nil
	}
	if ct := h.Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Errorf("%s: Content-Type %q, want application/problem+json", c.Name, ct)
	}
	var p struct {
		Status    int    `json:"status"`
		Detail    string `json:"detail"`
		RequestID string `json:"request_id"`
		Errors    []struct {
			Pointer string `json:"pointer"`
			Detail  string `json:"detail"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Status != status || p.Detail == "" || p.RequestID != id {
		return fmt.Errorf("%s: body %s is not a problem with status %d and request id %q (%v)", c.Name, body, status, id, err)
	}
	if status == http.StatusUnauthorized && !strings.HasPrefix(h.Get("WWW-Authenticate"), "ApiKey ") {
		return fmt.Errorf("%s: WWW-Authenticate %q, want an ApiKey challenge", c.Name, h.Get("WWW-Authenticate"))
	}
	if status == http.StatusUnprocessableEntity && len(p.Errors) == 0 {
		return fmt.Errorf("%s: body %s lists no errors", c.Name, body)
	}
	return nil
}
