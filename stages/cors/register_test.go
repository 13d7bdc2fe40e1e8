package cors_test

import (
	"net/http"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages/cors"
	"github.com/troupe-go/troupe/stagetest"
	"go.yaml.in/yaml/v3"
)

// build builds a cors stage from YAML options, as a config file would.
func build(t *testing.T, src string) (*actors.Spec, error) {
	t.Helper()
	var reg config.Registry
	cors.Register(&reg)
	k, ok := reg.Stage("cors")
	if !ok {
		t.Fatal("Register did not add the kind cors")
	}
	if k.Priority != actors.Global || k.Doc == "" {
		t.Errorf("kind cors: priority %v, doc %q; want global with a doc", k.Priority, k.Doc)
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatalf("yaml.Unmarshal(%q): %v", src, err)
	}
	return k.New("cors", config.NewOptions("cors.yaml", &n))
}

func TestKind(t *testing.T) {
	spec, err := build(t, `
allowed_origins: [https://app.example.com, "https://*.example.com"]
allowed_methods: [GET, PUT]
allowed_headers: [Content-Type]
allow_credentials: true
max_age: 10m
`)
	if err != nil {
		t.Fatal(err)
	}
	spec.Name = "cors"
	if spec.Kind != actors.Stateless {
		t.Errorf("kind %v, want pure", spec.Kind)
	}
	r := request("OPTIONS", "Origin", "https://a.example.com", "Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type")
	out := stagetest.RunSpec(t, spec, r)
	if out.Status != http.StatusNoContent || out.Header.Get("Access-Control-Allow-Origin") != "https://a.example.com" || out.Header.Get("Access-Control-Max-Age") != "600" {
		t.Errorf("preflight = %d %v, want 204 allowing https://a.example.com for 600s", out.Status, out.Header)
	}
}

// Bad options are errors at their line in the file.
func TestKindErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"no options", "~", "cors.yaml:1: cors: allowed_origins: at least one origin is required"},
		{"unknown option", "allowed_origins: [https://a.test]\nallow_origin: x", `cors.yaml:2: unknown option "allow_origin" (want one of allow_credentials, allowed_headers, allowed_methods, allowed_origins, exposed_headers, max_age)`},
		{"star with credentials", "allowed_origins: ['*']\nallow_credentials: true", `cors.yaml:1: cors: origin "*" cannot be combined with allow_credentials: list the origins`},
		{"two problems on one line", "allowed_origins: ['null', 'https://*.com']", `cors.yaml:1: cors: origin "null" cannot be allowed: sandboxed iframes, data: and file: pages all send it, so allowing it allows anyone; origin "https://*.com": wildcard "*.com": want *.DOMAIN with a domain of two labels or more, e.g. *.example.com`},
		{"max age as a number", "allowed_origins: [https://a.test]\nmax_age: 600", "cors.yaml:2: bad option value: cannot unmarshal !!int `600` into time.Duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := build(t, tt.give)
			if err == nil || err.Error() != tt.want {
				t.Errorf("New(%q) = %v, want %q", tt.give, err, tt.want)
			}
		})
	}
}
