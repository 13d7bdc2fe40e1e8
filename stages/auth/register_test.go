package auth

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages/principal"
	"github.com/troupe-go/troupe/stagetest"
)

// registry returns a registry with the auth kinds and a handler kind "ok".
func registry() *config.Registry {
	reg := &config.Registry{}
	Register(reg)
	reg.RegisterHandler("ok", config.Kind{New: func(string, config.Options) (*actors.Spec, error) {
		return &actors.Spec{Kind: actors.Stateless, Stage: actors.StageFunc(func(ex *actors.Exchange) error {
			ex.Respond(http.StatusOK, "text/plain", []byte("ok"))
			return nil
		})}, nil
	}})
	return reg
}

func TestRegister(t *testing.T) {
	reg := registry()
	if got, want := reg.StageKinds(), []string{"api_key", "basic_auth", "jwt", "require"}; !slices.Equal(got, want) {
		t.Fatalf("StageKinds() = %q, want %q", got, want)
	}
	for _, name := range reg.StageKinds() {
		if k, _ := reg.Stage(name); k.Priority != actors.Auth || !strings.Contains(k.Doc, "Options:") {
			t.Errorf("kind %s: priority %s, doc %q; want auth and a doc listing options", name, k.Priority, k.Doc)
		}
	}
}

const goodConfig = `
stages:
  keys:
    kind: api_key
    options:
      header: X-Key
      keys:
        ci: {key: ci-0123456789abcdef, roles: [deployer]}
  tokens:
    kind: jwt
    options:
      keys:
        main: {alg: HS256, secret_env: TROUPE_TEST_JWT_SECRET}
      issuer: https://id.test
      audiences: [api]
      leeway: 30s
      optional: true
  ops:
    kind: basic_auth
    options:
      realm: ops
      users:
        ops: {password_sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8, roles: [admin]}
  own:
    kind: require
    options: {any_of_roles: [deployer], owner_param: id}
routes:
  - method: GET
    path: /items/{id}
    handler: ok
    stages: [tokens, keys, own]
  - method: GET
    path: /ops
    handler: ok
    stages: [ops]
`

// TestConfig builds the kinds from a YAML file and runs what they built.
func TestConfig(t *testing.T) {
	t.Setenv("TROUPE_TEST_JWT_SECRET", strings.Repeat("k", 32))
	cfg, err := config.Parse("auth.yaml", []byte(goodConfig), registry())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for _, name := range []string{"keys", "tokens", "ops", "own"} {
		spec := cfg.Stages[name]
		if spec == nil || spec.Kind != actors.Stateless || spec.Priority != actors.Auth {
			t.Fatalf("stage %s = %+v, want a pure stage of priority auth", name, spec)
		}
	}
	tests := []struct {
		name       string
		stages     []string
		header     []string
		params     []string
		wantStatus int
		wantSub    string
	}{
		{name: "key of the owner", stages: []string{"tokens", "keys", "own"}, header: []string{"X-Key", "ci-0123456789abcdef"}, params: []string{"id", "ci"}, wantStatus: http.StatusOK, wantSub: "ci"},
		{name: "key of another", stages: []string{"tokens", "keys", "own"}, header: []string{"X-Key", "ci-0123456789abcdef"}, params: []string{"id", "cd"}, wantStatus: http.StatusForbidden, wantSub: "ci"},
		{name: "no key", stages: []string{"tokens", "keys", "own"}, params: []string{"id", "ci"}, wantStatus: http.StatusUnauthorized},
		{name: "basic", stages: []string{"ops"}, header: []string{"Authorization", basicHeader("ops", "password")}, wantStatus: http.StatusOK, wantSub: "ops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stages []actors.Stage
			for _, name := range tt.stages {
				stages = append(stages, cfg.Stages[name].Stage)
			}
			out := stagetest.Run(t, chain(stages...), request("/", tt.header...), stagetest.WithParams(tt.params...))
			var gotSub string
			if p := principal.From(out.Exchange); p != nil {
				gotSub = p.Subject
			}
			if out.Status != tt.wantStatus || gotSub != tt.wantSub {
				t.Errorf("status %d (%v), subject %q; want %d, %q", out.Status, out.Err, gotSub, tt.wantStatus, tt.wantSub)
			}
		})
	}
}

// TestConfigErrors checks that bad options are reported at their file and
// line.
func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		give string // the stage's definition, from its kind on
		want string
	}{
		{name: "unknown option", give: "kind: api_key\n    options:\n      keys: {}\n      querry: k",
			want: `auth.yaml:6: unknown option "querry" (want one of failure_limit, file, header, keys, optional, query, realm)`},
		{name: "unknown option of a key", give: "kind: api_key\n    options:\n      keys:\n        ci:\n          kye: x",
			want: `auth.yaml:7: unknown option "kye" (want one of env, key, permissions, roles)`},
		{name: "short key", give: "kind: api_key\n    options:\n      keys:\n        ci: {key: short}",
			want: `auth.yaml:5: api_key: key "ci" is shorter than 16 bytes`},
		{name: "jwt without keys", give: "kind: jwt\n    options: {issuer: x}",
			want: "auth.yaml:4: jwt: no keys: give keys or a jwks_file"},
		{name: "jwt alg none", give: "kind: jwt\n    options:\n      keys:\n        k: {alg: none, secret: " + strings.Repeat("k", 32) + "}",
			want: `auth.yaml:5: jwt: key "k": alg "none" is not one of HS256, RS256, ES256`},
		{name: "jwt bad leeway", give: "kind: jwt\n    options:\n      leeway: soon",
			want: "auth.yaml:5: bad option value: cannot unmarshal !!str `soon` into time.Duration"},
		{name: "basic with a password", give: "kind: basic_auth\n    options:\n      users:\n        ops: {password_sha256: hunter2}",
			want: `auth.yaml:5: basic_auth: user "ops": password_sha256 must be 64 hex digits`},
		{name: "require owner claim alone", give: "kind: require\n    options: {owner_claim: uid}",
			want: "auth.yaml:4: require: owner_claim needs owner_param"},
		{name: "require roles not a list", give: "kind: require\n    options: {any_of_roles: admin}",
			want: "auth.yaml:4: bad option value: cannot unmarshal !!str `admin` into []string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "stages:\n  s:\n    " + tt.give + "\nroutes:\n  - {method: GET, path: /, handler: ok, stages: [s]}\n"
			_, err := config.Parse("auth.yaml", []byte(src), registry())
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse(%q) = %v, want %q", src, err, tt.want)
			}
		})
	}
}
