package validate_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages/validate"
	"github.com/troupe-go/troupe/stagetest"
	"go.yaml.in/yaml/v3"
)

func kind(t *testing.T) config.Kind {
	t.Helper()
	var reg config.Registry
	validate.Register(&reg)
	k, ok := reg.Stage("validate")
	if !ok {
		t.Fatal("Register did not add the kind validate")
	}
	return k
}

func build(t *testing.T, src string) (*actors.Spec, error) {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatalf("yaml.Unmarshal(%q): %v", src, err)
	}
	return kind(t).New("v", config.NewOptions("test.yaml", &n))
}

func TestRegisterInlineSchema(t *testing.T) {
	spec, err := build(t, `
max_depth: 4
schema:
  type: object
  required: [name]
  properties:
    name: {type: string, minLength: 1}
    price: {type: number, minimum: 0.5}
`)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Kind != actors.Stateless || spec.Priority != actors.Preprocessing || kind(t).Priority != actors.Preprocessing {
		t.Errorf("spec = %s %s, want pure preprocessing", spec.Kind, spec.Priority)
	}
	tests := []struct {
		name       string
		give       string
		wantStatus int
	}{
		{name: "valid", give: `{"name":"lamp","price":1}`, wantStatus: 200},
		{name: "price below the YAML float minimum", give: `{"name":"lamp","price":0.25}`, wantStatus: 422},
		{name: "missing name", give: `{}`, wantStatus: 422},
		{name: "deeper than max_depth", give: `{"a":[[[[]]]]}`, wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", nil)
			r.Header.Set("Content-Type", "application/json")
			out := stagetest.RunSpec(t, spec, r, stagetest.WithBody([]byte(tt.give)))
			if out.Status != tt.wantStatus {
				t.Errorf("%s = %d %s, want %d", tt.give, out.Status, out.Body, tt.wantStatus)
			}
		})
	}
}

func TestRegisterErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string // prefix
	}{
		{name: "unknown option", give: "schemaa: {}", want: `test.yaml:1: unknown option "schemaa" (want one of allow_duplicate_keys, allow_empty, assert_format, draft, max_bytes, max_depth, methods, schema, schema_file)`},
		{name: "bad schema", give: "schema: {type: 5}", want: "test.yaml:1: validate: schema: "},
		{name: "bad draft", give: "draft: '3'", want: `test.yaml:1: validate: draft "3" is not one of`},
		{name: "non-string keys", give: "schema: {1: a}", want: "test.yaml:1: validate: schema is not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := build(t, tt.give)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("New(%q) = %v, want %q…", tt.give, err, tt.want)
			}
		})
	}
}
