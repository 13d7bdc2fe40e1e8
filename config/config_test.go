package config_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/supervisor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// testRegistry has a stage kind "tag", which adds its value to the
// response's X-Tags header, and a handler kind "ok", which answers 200.
func testRegistry() *config.Registry {
	reg := &config.Registry{}
	reg.Register("tag", config.Kind{
		Doc:      "adds its value to X-Tags",
		Priority: actors.Auth,
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var o struct {
				Value string `yaml:"value"`
				Count int    `yaml:"count"`
			}
			if err := opts.Decode(&o); err != nil {
				return nil, err
			}
			if o.Value == "bad" {
				return nil, opts.Errorf("tag: value must not be bad")
			}
			return troupe.Stage(name, actors.Global, actors.StageFunc(func(ex *actors.Exchange) error {
				ex.Response.Header().Add("X-Tags", o.Value)
				return nil
			})), nil
		},
	})
	reg.RegisterHandler("ok", config.Kind{
		Doc: "answers 200",
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var o struct {
				Body string `yaml:"body"`
			}
			if err := opts.Decode(&o); err != nil {
				return nil, err
			}
			return troupe.Handler(name, func(ex *actors.Exchange) error {
				ex.Respond(http.StatusOK, "text/plain", []byte(o.Body))
				return nil
			}), nil
		},
	})
	return reg
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name       string
		give       string
		wantPrefix string
		wantReason string
	}{
		{
			name:       "unknown top-level key",
			give:       "routes: [{method: GET, path: /, handler: ok}]\nrouts: []\n",
			wantPrefix: "t.yaml:2: ",
			wantReason: `unknown key "routs" in the configuration`,
		},
		{
			name:       "unknown key in server",
			give:       "server:\n  addr: ':1'\n  read_timout: 1s\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:3: ",
			wantReason: `unknown key "read_timout" in server`,
		},
		{
			name:       "unknown key in a route",
			give:       "routes:\n  - method: GET\n    path: /\n    handler: ok\n    timeot: 1s\n",
			wantPrefix: "t.yaml:5: ",
			wantReason: `unknown key "timeot" in a route`,
		},
		{
			name:       "unknown key in a stage",
			give:       "stages:\n  a:\n    kind: tag\n    prio: auth\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:4: ",
			wantReason: `unknown key "prio" in stage "a"`,
		},
		{
			name:       "unknown stage name in global",
			give:       "stages:\n  a: {kind: tag}\nglobal:\n  - a\n  - b\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:5: ",
			wantReason: `unknown stage "b" in global (declared stages: a)`,
		},
		{
			name:       "unknown stage name in a route",
			give:       "routes:\n  - method: GET\n    path: /\n    handler: ok\n    stages: [nope]\n",
			wantPrefix: "t.yaml:5: ",
			wantReason: `unknown stage "nope" in route GET / stages`,
		},
		{
			name:       "unknown stage kind",
			give:       "stages:\n  a:\n    kind: tga\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:3: ",
			wantReason: `unknown stage kind "tga" (stage kinds: tag)`,
		},
		{
			name:       "handler kind as a stage kind",
			give:       "stages:\n  a:\n    kind: ok\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:3: ",
			wantReason: `"ok" is a handler kind, not a stage kind`,
		},
		{
			name:       "unknown handler kind",
			give:       "routes:\n  - method: GET\n    path: /\n    handler: okk\n",
			wantPrefix: "t.yaml:4: ",
			wantReason: `unknown handler kind "okk" (handler kinds: ok)`,
		},
		{
			name:       "stage without kind",
			give:       "stages:\n  a:\n    priority: auth\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:2: ",
			wantReason: `stage "a" has no kind`,
		},
		{
			name:       "bad duration",
			give:       "server:\n  request_timeout: 5x\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:2: ",
			wantReason: `server.request_timeout: bad duration "5x"`,
		},
		{
			name:       "duration without unit",
			give:       "routes:\n  - method: GET\n    path: /\n    handler: ok\n    timeout: 5\n",
			wantPrefix: "t.yaml:5: ",
			wantReason: `route GET / timeout: bad duration "5"`,
		},
		{
			name:       "negative duration",
			give:       "supervision:\n  window: -1s\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:2: ",
			wantReason: "supervision.window must not be negative",
		},
		{
			name:       "bad size",
			give:       "server:\n  max_body_bytes: 1MB\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:2: ",
			wantReason: `server.max_body_bytes must be a whole number, got "1MB"`,
		},
		{
			name:       "bad stream_body",
			give:       "routes:\n  - method: POST\n    path: /up\n    handler: ok\n    stream_body: yes please\n",
			wantPrefix: "t.yaml:5: ",
			wantReason: `route POST /up stream_body must be true or false, got "yes please"`,
		},
		{
			name:       "bad priority",
			give:       "stages:\n  a:\n    kind: tag\n    priority: first\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:4: ",
			wantReason: `stage "a": unknown priority "first"`,
		},
		{
			name:       "duplicate route",
			give:       "routes:\n  - {method: GET, path: /a, handler: ok}\n  - {method: POST, path: /a, handler: ok}\n  - method: GET\n    path: /a\n    handler: ok\n",
			wantPrefix: "t.yaml:5: ",
			wantReason: "duplicate route GET /a (first declared at line 2)",
		},
		{
			name:       "duplicate route through a group",
			give:       "routes:\n  - {method: GET, path: /g/a, handler: ok}\ngroups:\n  - prefix: /g\n    routes:\n      - {method: GET, path: /a, handler: ok}\n",
			wantPrefix: "t.yaml:6: ",
			wantReason: "duplicate route GET /g/a (first declared at line 2)",
		},
		{
			name:       "conflicting parameter names",
			give:       "routes:\n  - {method: GET, path: '/a/{id}', handler: ok}\n  - {method: GET, path: '/a/{name}/b', handler: ok}\n",
			wantPrefix: "t.yaml:3: ",
			wantReason: "{name}",
		},
		{
			name:       "bad pattern",
			give:       "routes:\n  - method: GET\n    path: /items/{id\n    handler: ok\n",
			wantPrefix: "t.yaml:3: ",
			wantReason: `pattern "/items/{id": bad braces`,
		},
		{
			name:       "path without leading slash",
			give:       "routes:\n  - method: GET\n    path: items\n    handler: ok\n",
			wantPrefix: "t.yaml:3: ",
			wantReason: `route path "items" must start with "/"`,
		},
		{
			name:       "route without handler",
			give:       "routes:\n  - method: GET\n    path: /\n    handler: ok\n  - method: GET\n    path: /x\n",
			wantPrefix: "t.yaml:5: ",
			wantReason: "route GET /x has no handler (handler kinds: ok)",
		},
		{
			name:       "route without method",
			give:       "routes:\n  - path: /x\n    handler: ok\n",
			wantPrefix: "t.yaml:2: ",
			wantReason: "route has no method",
		},
		{
			name:       "bad method",
			give:       "routes:\n  - method: get\n    path: /x\n    handler: ok\n",
			wantPrefix: "t.yaml:2: ",
			wantReason: `invalid method "get"`,
		},
		{
			name:       "unknown option of a stage kind",
			give:       "stages:\n  a:\n    kind: tag\n    options:\n      value: x\n      vaule: y\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:6: ",
			wantReason: `unknown option "vaule" (want one of count, value)`,
		},
		{
			name:       "option of the wrong type",
			give:       "stages:\n  a:\n    kind: tag\n    options:\n      value: x\n      count: many\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:6: ",
			wantReason: "bad option value: cannot unmarshal !!str `many` into int",
		},
		{
			name:       "option rejected by the constructor",
			give:       "stages:\n  a:\n    kind: tag\n    options: {value: bad}\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:4: ",
			wantReason: "tag: value must not be bad",
		},
		{
			name:       "options that are not a mapping",
			give:       "routes:\n  - method: GET\n    path: /\n    handler: ok\n    options: [1, 2]\n",
			wantPrefix: "t.yaml:5: ",
			wantReason: "bad option value: cannot unmarshal !!seq into struct",
		},
		{
			name:       "unknown option of a handler kind",
			give:       "routes:\n  - method: GET\n    path: /\n    handler: ok\n    options:\n      bdy: hi\n",
			wantPrefix: "t.yaml:6: ",
			wantReason: `unknown option "bdy" (want one of body)`,
		},
		{
			name:       "duplicate stage name",
			give:       "stages:\n  a: {kind: tag}\n  a: {kind: tag}\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:3: ",
			wantReason: `duplicate key "a" in stages (first at line 2)`,
		},
		{
			name:       "bad stage name",
			give:       "stages:\n  'a b': {kind: tag}\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:2: ",
			wantReason: `bad stage name "a b"`,
		},
		{
			name:       "bad log level",
			give:       "log:\n  level: loud\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:2: ",
			wantReason: `log.level: unknown level "loud"`,
		},
		{
			name:       "bad log format",
			give:       "log:\n  format: xml\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:2: ",
			wantReason: `log.format: unknown format "xml"`,
		},
		{
			name:       "bad admin address",
			give:       "admin:\n  addr: '9090'\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:2: ",
			wantReason: `admin.addr: bad address "9090"`,
		},
		{
			name:       "group prefix without leading slash",
			give:       "groups:\n  - prefix: api\n    routes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:2: ",
			wantReason: `group prefix "api" must start with "/"`,
		},
		{
			name:       "section of the wrong shape",
			give:       "server: [1]\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:1: ",
			wantReason: "server must be a mapping, got a list",
		},
		{
			name:       "stage list that is not a list",
			give:       "stages:\n  a: {kind: tag}\nglobal: a\nroutes: [{method: GET, path: /, handler: ok}]\n",
			wantPrefix: "t.yaml:3: ",
			wantReason: `global must be a list, got "a"`,
		},
		{
			name:       "no routes",
			give:       "server:\n  addr: ':1'\n",
			wantPrefix: "t.yaml:1: ",
			wantReason: "no routes",
		},
		{
			name:       "empty file",
			give:       "",
			wantPrefix: "t.yaml:1: ",
			wantReason: "no routes",
		},
		{
			name:       "YAML syntax error",
			give:       "routes:\n  - method: GET\n  path: /\n",
			wantPrefix: "t.yaml:2: ",
			wantReason: "did not find expected '-' indicator",
		},
		{
			name:       "YAML syntax error on the first line",
			give:       "a: b: c\n",
			wantPrefix: "t.yaml:1: ",
			wantReason: "mapping values are not allowed",
		},
		{
			name:       "YAML scanner error",
			give:       "routes:\n  - method: \"GET\n",
			wantPrefix: "t.yaml:2: ",
			wantReason: "found unexpected end of stream",
		},
		{
			// yaml.v3 places it past the last line, which has no break.
			name:       "YAML syntax error at the end of the file",
			give:       "routes:\r\n  - [GET",
			wantPrefix: "t.yaml:2: ",
			wantReason: "did not find expected ',' or ']'",
		},
		{
			name:       "YAML syntax error at the end of the file, after a line break",
			give:       "routes: [{method: GET\n",
			wantPrefix: "t.yaml:1: ",
			wantReason: "did not find expected ',' or '}'",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse("t.yaml", []byte(tt.give), testRegistry())
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, nil; want an error", tt.give, cfg)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != 1 {
				t.Fatalf("Parse(%q) reported %d errors, want 1:\n%v", tt.give, len(lines), err)
			}
			if !strings.HasPrefix(lines[0], tt.wantPrefix) || !strings.Contains(lines[0], tt.wantReason) {
				t.Errorf("Parse(%q) = %q, want %q…%q", tt.give, lines[0], tt.wantPrefix, tt.wantReason)
			}
			if _, ok := errors.AsType[*config.Error](err); !ok {
				t.Errorf("Parse(%q) = %T, want a *config.Error in the chain", tt.give, err)
			}
		})
	}
}

func TestParseReportsEveryError(t *testing.T) {
	give := `server:
  read_timeout: soon
stages:
  a:
    kind: nope
  b:
    kind: tag
    options: {value: x, extra: 1}
global: [a, b, c]
routes:
  - method: GET
    path: /x
  - method: GET
    path: /y/{
    handler: ok
`
	_, err := config.Parse("many.yaml", []byte(give), testRegistry())
	if err == nil {
		t.Fatal("Parse = nil error, want several")
	}
	want := []string{
		`many.yaml:2: server.read_timeout: bad duration "soon"`,
		`many.yaml:5: unknown stage kind "nope"`,
		`many.yaml:8: unknown option "extra"`,
		`many.yaml:9: unknown stage "c" in global`,
		`many.yaml:11: route GET /x has no handler`,
		`many.yaml:14: pattern "/y/{"`,
	}
	got := strings.Split(err.Error(), "\n")
	if len(got) != len(want) {
		t.Fatalf("Parse reported %d errors, want %d:\n%v", len(got), len(want), err)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d = %q, want it to start with %q", i, got[i], want[i])
		}
	}
}

const validConfig = `
server:
  addr: "127.0.0.1:0"
  request_timeout: 3s
  max_body_bytes: 2048
admin:
  addr: "off"
log:
  format: console
  level: debug
supervision:
  max_restarts: 7
  window: 2s
stages:
  g:
    kind: tag
    options: {value: g}
  outer:
    kind: tag
    priority: global
    options: {value: outer}
  inner:
    kind: tag
    options: {value: inner}
    supervision: {max_restarts: 1}
  own:
    kind: tag
    priority: routing
    options: {value: own}
global: [g]
routes:
  - method: GET
    path: /top
    handler: ok
    options: {body: top}
    timeout: 1s
    max_body_bytes: 10
    stream_body: true
    supervision: {backoff: 5s}
groups:
  - prefix: /api
    stages: [outer]
    groups:
      - prefix: /v1/
        stages: [inner]
        routes:
          - method: "*"
            path: /items/{id}
            handler: ok
            stages: [own]
`

func TestParse(t *testing.T) {
	cfg, err := config.Parse("ok.yaml", []byte(validConfig), testRegistry())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	wantApp := troupe.Config{
		Supervision: supervisor.Policy{MaxRestarts: 7, Window: 2 * time.Second},
		Policies: map[string]supervisor.Policy{
			"inner":    {MaxRestarts: 1, Window: 2 * time.Second},
			"GET /top": {MaxRestarts: 7, Window: 2 * time.Second, Backoff: 5 * time.Second},
		},
	}
	wantApp.HTTP.Addr, wantApp.HTTP.RequestTimeout, wantApp.HTTP.MaxBodyBytes = "127.0.0.1:0", 3*time.Second, 2048
	wantApp.Admin.Addr = "off"
	if got := cfg.App; got.Supervision != wantApp.Supervision ||
		!reflect.DeepEqual(got.HTTP, wantApp.HTTP) || got.Admin != wantApp.Admin || len(got.Policies) != len(wantApp.Policies) {
		t.Errorf("App = %+v, want %+v", got, wantApp)
	}
	for name, want := range wantApp.Policies {
		if got := cfg.App.Policies[name]; got != want {
			t.Errorf("Policies[%q] = %+v, want %+v", name, got, want)
		}
	}
	if want := (config.Log{Format: "console", Level: zapcore.DebugLevel}); cfg.Log != want {
		t.Errorf("Log = %+v, want %+v", cfg.Log, want)
	}
	for name, want := range map[string]actors.Priority{"g": actors.Auth, "outer": actors.Global, "inner": actors.Auth, "own": actors.Routing} {
		if s := cfg.Stages[name]; s == nil || s.Name != name || s.Priority != want {
			t.Errorf("Stages[%q] = %+v, want name %q, priority %s", name, s, name, want)
		}
	}
	top := cfg.Routes[0]
	if top.Pattern != "/top" || top.Handler.Name != "GET /top" || top.Handler.Priority != actors.Terminating ||
		top.Timeout != time.Second || top.MaxBodyBytes != 10 || !top.StreamBody {
		t.Errorf("Routes[0] = %+v", top)
	}
	nested := cfg.Groups[0].Groups[0].Routes[0]
	if nested.Pattern != "/api/v1/items/{id}" || nested.Handler.Name != "* /api/v1/items/{id}" || nested.Line != 47 || nested.StreamBody {
		t.Errorf("nested route = %+v, want pattern /api/v1/items/{id} at line 47, not streaming", nested)
	}
}

func TestParseMergeKeys(t *testing.T) {
	give := `
tag-defaults: &tag
  kind: tag
`
	_, err := config.Parse("m.yaml", []byte(give), testRegistry())
	if err == nil || !strings.HasPrefix(err.Error(), `m.yaml:2: unknown key "tag-defaults"`) {
		t.Errorf("Parse = %v, want the unknown key at line 2", err)
	}
	give = `
stages:
  a: &tag
    kind: tag
    options: {value: a}
  b:
    <<: *tag
    priority: business
routes: [{method: GET, path: /, handler: ok, stages: [a, b]}]
`
	cfg, err := config.Parse("m.yaml", []byte(give), testRegistry())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if b := cfg.Stages["b"]; b == nil || b.Priority != actors.Business {
		t.Errorf("Stages[b] = %+v, want a tag stage of priority business", b)
	}
}

// TestBuild serves a request through an app built from validConfig: the
// stages run global, outer group, inner group, route, sorted by priority.
func TestBuild(t *testing.T) {
	cfg, err := config.Parse("ok.yaml", []byte(validConfig), testRegistry())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	app := cfg.Build(troupe.WithLogger(zap.NewNop()))
	var patterns []string
	for _, r := range app.Routes() {
		patterns = append(patterns, r.Method()+" "+r.Pattern())
	}
	if want := []string{"GET /top", "* /api/v1/items/{id}"}; !slices.Equal(patterns, want) {
		t.Errorf("routes = %q, want %q", patterns, want)
	}
	h, err := app.Handler()
	if err != nil {
		t.Fatalf("Handler: %v", err)
	}
	defer app.Close(t.Context())

	tests := []struct {
		name     string
		give     string
		wantTags []string
		wantBody string
	}{
		{name: "top", give: "/top", wantTags: []string{"g"}, wantBody: "top"},
		{name: "nested", give: "/api/v1/items/42", wantTags: []string{"outer", "own", "g", "inner"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.give, nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d %s, want 200", tt.give, rec.Code, rec.Body)
			}
			if got := rec.Header().Values("X-Tags"); !slices.Equal(got, tt.wantTags) {
				t.Errorf("GET %s X-Tags = %q, want %q", tt.give, got, tt.wantTags)
			}
			if got := rec.Body.String(); got != tt.wantBody {
				t.Errorf("GET %s body = %q, want %q", tt.give, got, tt.wantBody)
			}
		})
	}
}
