package validate_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/validate"
	"github.com/troupe-go/troupe/stagetest"
)

// newStage returns the stage of a validate Spec built from cfg.
func newStage(cfg validate.Config) (actors.Stage, error) {
	spec, err := validate.New("validate", cfg)
	if err != nil {
		return nil, err
	}
	return spec.Stage, nil
}

// itemSchema is the schema of most tests.
var itemSchema = map[string]any{
	"type":     "object",
	"required": []any{"name", "items"},
	"properties": map[string]any{
		"name":  map[string]any{"type": "string", "minLength": 1},
		"count": map[string]any{"type": "integer", "minimum": 0},
		"items": map[string]any{
			"type": "array",
			"items": map[string]any{
				"type":       "object",
				"required":   []any{"name"},
				"properties": map[string]any{"name": map[string]any{"type": "string"}},
			},
		},
	},
}

func nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// run sends body with contentType to stage as method /items.
func run(t *testing.T, stage actors.Stage, method, contentType, body string) stagetest.Outcome {
	t.Helper()
	r := httptest.NewRequest(method, "/items", nil)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return stagetest.Run(t, stage, r, stagetest.WithBody([]byte(body)))
}

func TestRejects(t *testing.T) {
	tests := []struct {
		name        string
		cfg         validate.Config
		method      string
		contentType string
		body        string
		wantStatus  int
		wantDetail  string
	}{
		{name: "text/plain", contentType: "text/plain", body: `{}`, wantStatus: 415, wantDetail: "the request body must be application/json"},
		{name: "no content type", body: `{}`, wantStatus: 415, wantDetail: "the request body must be application/json"},
		{name: "json-ish but not json", contentType: "application/jsonx", body: `{}`, wantStatus: 415, wantDetail: "the request body must be application/json"},
		{name: "text/+json is not an application type", contentType: "text/x+json", body: `{}`, wantStatus: 415, wantDetail: "the request body must be application/json"},
		{name: "too large", cfg: validate.Config{MaxBytes: 4}, contentType: "application/json", body: `{"a":1}`, wantStatus: 413, wantDetail: "the request body is larger than 4 bytes"},
		{name: "too deep", contentType: "application/json", body: nested(33), wantStatus: 400, wantDetail: "the JSON body nests deeper than 32 levels"},
		{name: "too deep, configured", cfg: validate.Config{MaxDepth: 2}, contentType: "application/json", body: `{"a":{"b":{}}}`, wantStatus: 400, wantDetail: "the JSON body nests deeper than 2 levels"},
		{name: "too deep before the syntax error", contentType: "application/json", body: nested(40)[:40] + "oops", wantStatus: 400, wantDetail: "the JSON body nests deeper than 32 levels"},
		{name: "not JSON", contentType: "application/json", body: `{"a":}`, wantStatus: 400, wantDetail: "the request body is not valid JSON: invalid character '}' looking for beginning of value at byte 6"},
		{name: "truncated", contentType: "application/json", body: `{"a":[1,2`, wantStatus: 400, wantDetail: "the request body is not valid JSON: unexpected end of JSON input at byte 9"},
		{name: "two values", contentType: "application/json", body: `{} {}`, wantStatus: 400, wantDetail: "the request body is not valid JSON: invalid character '{' after top-level value at byte 4"},
		{name: "trailing garbage", contentType: "application/json", body: `{}x`, wantStatus: 400, wantDetail: "the request body is not valid JSON: invalid character 'x' after top-level value at byte 3"},
		{name: "only whitespace", contentType: "application/json", body: "  \n", wantStatus: 400, wantDetail: "the request body is not valid JSON: unexpected end of JSON input at byte 3"},
		{name: "empty body with a schema", cfg: validate.Config{Schema: itemSchema}, contentType: "application/json", body: "", wantStatus: 400, wantDetail: "the request needs a JSON body"},
		{name: "PUT is checked", method: "PUT", contentType: "text/plain", body: `{}`, wantStatus: 415, wantDetail: "the request body must be application/json"},
		{name: "configured method", cfg: validate.Config{Methods: []string{"DELETE"}}, method: "DELETE", contentType: "application/json", body: `[`, wantStatus: 400, wantDetail: "the request body is not valid JSON: unexpected end of JSON input at byte 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stage, err := newStage(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			method := tt.method
			if method == "" {
				method = "POST"
			}
			out := run(t, stage, method, tt.contentType, tt.body)
			var p actors.Problem
			if err := json.Unmarshal(out.Body, &p); err != nil {
				t.Fatalf("body %q: %v", out.Body, err)
			}
			if out.Status != tt.wantStatus || p.Status != tt.wantStatus || p.Detail != tt.wantDetail || out.HandlerRan {
				t.Errorf("%s %q = %d %q (handler ran: %v), want %d %q", tt.contentType, tt.body, out.Status, p.Detail, out.HandlerRan, tt.wantStatus, tt.wantDetail)
			}
		})
	}
}

func TestUnsupportedMediaTypeSaysAccept(t *testing.T) {
	stage, _ := newStage(validate.Config{})
	out := run(t, stage, "POST", "text/plain", "{}")
	if got := out.Header.Get("Accept"); got != "application/json" {
		t.Errorf("415 Accept = %q, want application/json", got)
	}
}

func TestPasses(t *testing.T) {
	tests := []struct {
		name        string
		cfg         validate.Config
		method      string
		contentType string
		body        string
		want        any // the decoded body; nil when the stage decodes none
	}{
		{name: "object", contentType: "application/json", body: `{"a":1}`, want: map[string]any{"a": json.Number("1")}},
		{name: "params ignored", contentType: "Application/JSON; charset=utf-8", body: `[true]`, want: []any{true}},
		{name: "bad params ignored", contentType: "application/json; charset", body: `"s"`, want: "s"},
		{name: "+json", contentType: "application/merge-patch+json", body: `{"a":null}`, want: map[string]any{"a": nil}},
		{name: "vendor +json", contentType: "application/vnd.api+json", body: `1`, want: json.Number("1")},
		{name: "big number keeps its digits", contentType: "application/json", body: `12345678901234567890123`, want: json.Number("12345678901234567890123")},
		{name: "huge exponent", contentType: "application/json", body: `1e400`, want: json.Number("1e400")},
		{name: "depth exactly at the limit", contentType: "application/json", body: nested(32), want: nestedValue(32)},
		{name: "GET is not checked", method: "GET", contentType: "text/plain", body: `not json`, want: nil},
		{name: "empty body without a schema", contentType: "", body: "", want: nil},
		{name: "empty body allowed", cfg: validate.Config{Schema: itemSchema, AllowEmpty: true}, contentType: "", body: "", want: nil},
		{name: "valid against the schema", cfg: validate.Config{Schema: itemSchema}, contentType: "application/json",
			body: `{"name":"lamp","items":[{"name":"bulb"}]}`,
			want: map[string]any{"name": "lamp", "items": []any{map[string]any{"name": "bulb"}}}},
		{name: "within max_bytes", cfg: validate.Config{MaxBytes: 2}, contentType: "application/json", body: `{}`, want: map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stage, err := newStage(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			method := tt.method
			if method == "" {
				method = "POST"
			}
			out := run(t, stage, method, tt.contentType, tt.body)
			if out.Err != nil || !out.HandlerRan {
				t.Fatalf("%s %q: err %v, handler ran %v; want it through", tt.contentType, tt.body, out.Err, out.HandlerRan)
			}
			got, _ := validate.From(out.Exchange)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("From = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func nestedValue(depth int) any {
	var v any = []any{}
	for range depth - 1 {
		v = []any{v}
	}
	return v
}

// schemaProblem is the 422 body.
type schemaProblem struct {
	actors.Problem
	Errors []validate.FieldError `json:"errors"`
}

func TestSchemaErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []validate.FieldError
	}{
		{name: "missing members", body: `{}`, want: []validate.FieldError{
			{Pointer: "/items", Detail: "is required"},
			{Pointer: "/name", Detail: "is required"},
		}},
		{name: "nested", body: `{"name":"","count":-1,"items":[{"name":"a"},{"name":7},{}]}`, want: []validate.FieldError{
			{Pointer: "/count", Detail: "minimum: got -1, want 0"},
			{Pointer: "/items/1/name", Detail: "got number, want string"},
			{Pointer: "/items/2/name", Detail: "is required"},
			{Pointer: "/name", Detail: "minLength: got 0, want 1"},
		}},
		{name: "wrong type at the top", body: `[1]`, want: []validate.FieldError{
			{Pointer: "", Detail: "got array, want object"},
		}},
	}
	stage, err := newStage(validate.Config{Schema: itemSchema})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := run(t, stage, "POST", "application/json", tt.body)
			if out.Status != http.StatusUnprocessableEntity || out.HandlerRan || out.Header.Get("Content-Type") != actors.ProblemContentType {
				t.Fatalf("%s = %d %q (handler ran: %v), want 422 problem+json", tt.body, out.Status, out.Header.Get("Content-Type"), out.HandlerRan)
			}
			var got schemaProblem
			if err := json.Unmarshal(out.Body, &got); err != nil {
				t.Fatal(err)
			}
			wantBase := actors.Problem{Type: "about:blank", Title: "Unprocessable Entity", Status: 422,
				Detail: "the request body does not match the schema", Instance: "/items", RequestID: "test-request"}
			if got.Problem != wantBase {
				t.Errorf("problem = %+v, want %+v", got.Problem, wantBase)
			}
			if !reflect.DeepEqual(got.Errors, tt.want) {
				t.Errorf("errors = %+v, want %+v", got.Errors, tt.want)
			}
			if _, ok := validate.From(out.Exchange); ok {
				t.Error("an invalid body was kept for the handler")
			}
		})
	}
}

func TestSchemaErrorsAreBounded(t *testing.T) {
	stage, _ := newStage(validate.Config{Schema: map[string]any{"type": "array", "items": map[string]any{"type": "string"}}})
	body := "[" + strings.Repeat("1,", 500) + "1]"
	out := run(t, stage, "POST", "application/json", body)
	var got schemaProblem
	if err := json.Unmarshal(out.Body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Errors) != 100 {
		t.Errorf("%d errors listed, want 100", len(got.Errors))
	}
}

func TestPointerEscaping(t *testing.T) {
	stage, _ := newStage(validate.Config{Schema: map[string]any{
		"properties": map[string]any{"a/b~c": map[string]any{"type": "string"}},
	}})
	out := run(t, stage, "POST", "application/json", `{"a/b~c":1}`)
	var got schemaProblem
	_ = json.Unmarshal(out.Body, &got)
	if len(got.Errors) != 1 || got.Errors[0].Pointer != "/a~1b~0c" {
		t.Errorf("errors = %+v, want one at /a~1b~0c", got.Errors)
	}
}

func TestSchemaFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("name.json", `{"type": "string", "minLength": 2}`)
	tests := []struct {
		name string
		file string
	}{
		{name: "json", file: write("item.json", `{"type":"object","properties":{"name":{"$ref":"name.json"}}}`)},
		{name: "yaml", file: write("item.yaml", "type: object\nproperties:\n  name: {$ref: name.json}\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stage, err := newStage(validate.Config{SchemaFile: tt.file})
			if err != nil {
				t.Fatal(err)
			}
			if out := run(t, stage, "POST", "application/json", `{"name":"ok"}`); !out.HandlerRan {
				t.Errorf("a valid body got %d %s", out.Status, out.Body)
			}
			out := run(t, stage, "POST", "application/json", `{"name":"x"}`)
			var got schemaProblem
			_ = json.Unmarshal(out.Body, &got)
			if out.Status != 422 || len(got.Errors) != 1 || got.Errors[0].Pointer != "/name" {
				t.Errorf("a short name got %d %s, want 422 at /name", out.Status, out.Body)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		give validate.Config
		want string // a prefix of the error
	}{
		{name: "bad draft", give: validate.Config{Draft: "2021"}, want: `validate: draft "2021" is not one of 2020-12, 2019-09, 7, 6, 4`},
		{name: "both schemas", give: validate.Config{Schema: map[string]any{}, SchemaFile: "x.json"}, want: "validate: schema and schema_file are exclusive"},
		{name: "schema that does not compile", give: validate.Config{Schema: map[string]any{"type": 5}}, want: "validate: schema: "},
		{name: "bad pattern", give: validate.Config{Schema: map[string]any{"pattern": "("}}, want: "validate: schema: "},
		{name: "missing file", give: validate.Config{SchemaFile: "/nonexistent/schema.json"}, want: "validate: schema_file: open /nonexistent/schema.json"},
		{name: "schema not JSON", give: validate.Config{Schema: map[any]any{1: "a"}}, want: "validate: schema is not JSON: "},
		{name: "negative max_bytes", give: validate.Config{MaxBytes: -1}, want: "validate: max_bytes must not be negative, got -1"},
		{name: "negative depth", give: validate.Config{MaxDepth: -1}, want: "validate: max_depth must not be negative, got -1"},
		{name: "depth past encoding/json's", give: validate.Config{MaxDepth: 10001}, want: "validate: max_depth must be at most 10000, got 10001"},
		{name: "empty method", give: validate.Config{Methods: []string{""}}, want: "validate: methods must not hold an empty method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newStage(tt.give)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("New(%+v) = %v, want %q…", tt.give, err, tt.want)
			}
		})
	}
}

func TestDrafts(t *testing.T) {
	// exclusiveMinimum is a boolean in draft 4 and a number since draft 6.
	tests := []struct {
		draft string
		give  map[string]any
	}{
		{draft: "4", give: map[string]any{"minimum": 1, "exclusiveMinimum": true}},
		{draft: "7", give: map[string]any{"exclusiveMinimum": 1}},
		{draft: "2019-09", give: map[string]any{"exclusiveMinimum": 1}},
		{draft: "2020-12", give: map[string]any{"exclusiveMinimum": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.draft, func(t *testing.T) {
			stage, err := newStage(validate.Config{Draft: tt.draft, Schema: tt.give})
			if err != nil {
				t.Fatal(err)
			}
			if out := run(t, stage, "POST", "application/json", "1"); out.Status != 422 {
				t.Errorf("1 against exclusive minimum 1 = %d, want 422", out.Status)
			}
			if out := run(t, stage, "POST", "application/json", "2"); !out.HandlerRan {
				t.Errorf("2 against exclusive minimum 1 = %d, want through", out.Status)
			}
		})
	}
}

func TestAssertFormat(t *testing.T) {
	schema := map[string]any{"type": "string", "format": "email"}
	lax, _ := newStage(validate.Config{Schema: schema})
	strict, _ := newStage(validate.Config{Schema: schema, AssertFormat: true})
	if out := run(t, lax, "POST", "application/json", `"nope"`); !out.HandlerRan {
		t.Errorf("format as annotation: %d, want through", out.Status)
	}
	if out := run(t, strict, "POST", "application/json", `"nope"`); out.Status != 422 {
		t.Errorf("format asserted: %d, want 422", out.Status)
	}
}

// TestConcurrent runs one stage on many goroutines, as the actors of a
// pure hop do: the race detector checks it shares nothing mutable.
func TestConcurrent(t *testing.T) {
	stage, _ := newStage(validate.Config{Schema: itemSchema})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			body := `{"name":"a","items":[]}`
			if i%2 == 1 {
				body = `{"items":[{}]}`
			}
			for range 50 {
				out := run(t, stage, "POST", "application/json", body)
				if want := []int{200, 422}[i%2]; out.Status != want {
					t.Errorf("status %d, want %d", out.Status, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// Brackets inside strings, escaped quotes included, are not nesting.
func TestDepthIgnoresStrings(t *testing.T) {
	st, err := newStage(validate.Config{MaxDepth: 2})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body string
		want       int
	}{
		{"brackets in strings", `{"a":"[[[[{{{{","b":["]]]]"]}`, http.StatusOK},
		{"escaped quote then brackets", `{"a":"\"[[[[[","b":"\\"}`, http.StatusOK},
		{"real nesting", `{"a":[[1]]}`, http.StatusBadRequest},
		{"unterminated string", `{"a":"[[[`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", nil)
			r.Header.Set("Content-Type", "application/json")
			out := stagetest.Run(t, st, r, stagetest.WithBody([]byte(tt.body)))
			if out.Status != tt.want {
				t.Errorf("body %s: status %d, want %d (%s)", tt.body, out.Status, tt.want, out.Body)
			}
		})
	}
}
