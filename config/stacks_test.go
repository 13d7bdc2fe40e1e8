package config_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/config"
	"go.uber.org/zap"
)

const stacksConfig = `
stages:
  a: {kind: tag, options: {value: a}}
  b: {kind: tag, options: {value: b}}
  audit:
    kind: tag
    options: {value: audit}
    when: {methods: [POST], not: {header: X-Internal}}
  debug:
    kind: tag
    options: {value: debug}
    when: {path_prefix: /admin, query_equals: {debug: "1"}}
stacks:
  public: [a]
  api: [public, b]
  admin: [api, audit, debug]
routes:
  - {method: "*", path: /pub, handler: ok, stages: [public]}
groups:
  - prefix: /admin
    stages: [admin]
    routes:
      - {method: "*", path: /x, handler: ok}
`

func TestStacksAndConditions(t *testing.T) {
	cfg, err := config.Parse("s.yaml", []byte(stacksConfig), testRegistry())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	app := cfg.Build(troupe.WithLogger(zap.NewNop()))
	h, err := app.Handler()
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(t.Context())
	tests := []struct {
		name, method, target string
		header               []string
		want                 []string
	}{
		{name: "a stack", method: "GET", target: "/pub", want: []string{"a"}},
		{name: "stack extending stacks", method: "GET", target: "/admin/x", want: []string{"a", "b"}},
		{name: "condition holds", method: "POST", target: "/admin/x", want: []string{"a", "b", "audit"}},
		{name: "not excludes", method: "POST", target: "/admin/x", header: []string{"X-Internal", "1"}, want: []string{"a", "b"}},
		{name: "path and query", method: "GET", target: "/admin/x?debug=1", want: []string{"a", "b", "debug"}},
		{name: "query value differs", method: "GET", target: "/admin/x?debug=2", want: []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			for i := 0; i+1 < len(tt.header); i += 2 {
				r.Header.Set(tt.header[i], tt.header[i+1])
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s %s = %d", tt.method, tt.target, rec.Code)
			}
			if got := rec.Header().Values("X-Tags"); !slices.Equal(got, tt.want) {
				t.Errorf("%s %s X-Tags = %q, want %q", tt.method, tt.target, got, tt.want)
			}
		})
	}
}

func TestStackErrors(t *testing.T) {
	tests := []struct {
		name, give, want string
	}{
		{"cycle", "stages: {a: {kind: tag}}\nstacks:\n  x: [y]\n  y: [x]\nroutes: [{method: GET, path: /, handler: ok, stages: [x]}]\n", "includes itself"},
		{"unknown entry", "stages: {a: {kind: tag}}\nstacks:\n  x: [a, nope]\nroutes: [{method: GET, path: /, handler: ok}]\n", `s.yaml:3: unknown stage "nope"`},
		{"clash with a stage", "stages: {a: {kind: tag}}\nstacks:\n  a: [a]\nroutes: [{method: GET, path: /, handler: ok}]\n", `s.yaml:3: stack "a" has the name of a stage`},
		{"empty when", "stages:\n  a:\n    kind: tag\n    when: {}\nroutes: [{method: GET, path: /, handler: ok}]\n", "s.yaml:4: stage \"a\" when: no conditions given"},
		{"unknown condition", "stages:\n  a:\n    kind: tag\n    when: {path: /x}\nroutes: [{method: GET, path: /, handler: ok}]\n", "s.yaml:4:"},
		{"lower-case method", "stages:\n  a:\n    kind: tag\n    when: {methods: [get]}\nroutes: [{method: GET, path: /, handler: ok}]\n", "must be upper case"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("s.yaml", []byte(tt.give), testRegistry())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
