package auth

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/principal"
	"github.com/troupe-go/troupe/stagetest"
)

func TestRequire(t *testing.T) {
	alice := &principal.Principal{Subject: "alice", Method: "jwt", Roles: []string{"user"}, Permissions: []string{"items:read", "items:write"},
		Claims: map[string]any{"tenant": "acme", "uid": float64(42), "big": 1e300, "frac": 4.5}}
	tests := []struct {
		name       string
		cfg        RequireConfig
		who        *principal.Principal // nil: unauthenticated
		params     []string
		wantStatus int
	}{
		{name: "no principal", cfg: RequireConfig{}, wantStatus: http.StatusUnauthorized},
		{name: "no principal, rules too", cfg: RequireConfig{AnyOfRoles: []string{"user"}}, wantStatus: http.StatusUnauthorized},
		{name: "authenticated is enough", cfg: RequireConfig{}, who: alice, wantStatus: http.StatusOK},
		{name: "one of the roles", cfg: RequireConfig{AnyOfRoles: []string{"admin", "user"}}, who: alice, wantStatus: http.StatusOK},
		{name: "none of the roles", cfg: RequireConfig{AnyOfRoles: []string{"admin", "ops"}}, who: alice, wantStatus: http.StatusForbidden},
		{name: "all permissions", cfg: RequireConfig{AllOfPermissions: []string{"items:write", "items:read"}}, who: alice, wantStatus: http.StatusOK},
		{name: "one permission missing", cfg: RequireConfig{AllOfPermissions: []string{"items:read", "items:delete"}}, who: alice, wantStatus: http.StatusForbidden},
		{name: "role as a permission", cfg: RequireConfig{AllOfPermissions: []string{"user"}}, who: alice, wantStatus: http.StatusForbidden},
		{name: "owner by subject", cfg: RequireConfig{OwnerParam: "id"}, who: alice, params: []string{"id", "alice"}, wantStatus: http.StatusOK},
		{name: "not the owner", cfg: RequireConfig{OwnerParam: "id"}, who: alice, params: []string{"id", "bob"}, wantStatus: http.StatusForbidden},
		{name: "owner case matters", cfg: RequireConfig{OwnerParam: "id"}, who: alice, params: []string{"id", "Alice"}, wantStatus: http.StatusForbidden},
		{name: "owner param absent", cfg: RequireConfig{OwnerParam: "id"}, who: alice, wantStatus: http.StatusForbidden},
		{name: "empty subject owns nothing", cfg: RequireConfig{OwnerParam: "id"}, who: &principal.Principal{}, params: []string{"id", ""}, wantStatus: http.StatusForbidden},
		{name: "owner by string claim", cfg: RequireConfig{OwnerParam: "tenant", OwnerClaim: "tenant"}, who: alice, params: []string{"tenant", "acme"}, wantStatus: http.StatusOK},
		{name: "owner by number claim", cfg: RequireConfig{OwnerParam: "id", OwnerClaim: "uid"}, who: alice, params: []string{"id", "42"}, wantStatus: http.StatusOK},
		{name: "claim is not the subject", cfg: RequireConfig{OwnerParam: "id", OwnerClaim: "uid"}, who: alice, params: []string{"id", "alice"}, wantStatus: http.StatusForbidden},
		{name: "huge number claim", cfg: RequireConfig{OwnerParam: "id", OwnerClaim: "big"}, who: alice, params: []string{"id", "1e+300"}, wantStatus: http.StatusForbidden},
		{name: "fractional claim", cfg: RequireConfig{OwnerParam: "id", OwnerClaim: "frac"}, who: alice, params: []string{"id", "4"}, wantStatus: http.StatusForbidden},
		{name: "missing claim", cfg: RequireConfig{OwnerParam: "id", OwnerClaim: "nope"}, who: alice, params: []string{"id", "alice"}, wantStatus: http.StatusForbidden},
		{name: "all rules hold", cfg: RequireConfig{AnyOfRoles: []string{"user"}, AllOfPermissions: []string{"items:write"}, OwnerParam: "id"}, who: alice, params: []string{"id", "alice"}, wantStatus: http.StatusOK},
		{name: "all but ownership hold", cfg: RequireConfig{AnyOfRoles: []string{"user"}, AllOfPermissions: []string{"items:write"}, OwnerParam: "id"}, who: alice, params: []string{"id", "bob"}, wantStatus: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []stagetest.Option{stagetest.WithParams(tt.params...)}
			if tt.who != nil {
				opts = append(opts, withPrincipal(tt.who))
			}
			out := stagetest.Run(t, must(t)(newRequire(tt.cfg)), request("/"), opts...)
			if out.Status != tt.wantStatus {
				t.Errorf("newRequire(%+v) for %v = %d (%v), want %d", tt.cfg, tt.who, out.Status, out.Err, tt.wantStatus)
			}
			if out.HandlerRan != (tt.wantStatus == http.StatusOK) {
				t.Errorf("handler ran = %v, want %v", out.HandlerRan, tt.wantStatus == http.StatusOK)
			}
		})
	}
}

func TestRequireProblemsTellNoRule(t *testing.T) {
	who := &principal.Principal{Subject: "alice", Roles: []string{"user"}}
	out := stagetest.Run(t, must(t)(newRequire(RequireConfig{AnyOfRoles: []string{"secret-admin-role"}})), request("/"), withPrincipal(who))
	if out.Status != http.StatusForbidden || strings.Contains(string(out.Body), "secret-admin-role") {
		t.Errorf("status %d, body %s; want 403 naming no role", out.Status, out.Body)
	}
	if out.Header.Get("Content-Type") != actors.ProblemContentType {
		t.Errorf("Content-Type = %q, want a problem", out.Header.Get("Content-Type"))
	}
}

func TestRequireConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		give RequireConfig
		want string
	}{
		{name: "owner claim without param", give: RequireConfig{OwnerClaim: "uid"}, want: "owner_claim needs owner_param"},
		{name: "empty role", give: RequireConfig{AnyOfRoles: []string{""}}, want: "must not be empty"},
		{name: "empty permission", give: RequireConfig{AllOfPermissions: []string{"a", ""}}, want: "must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := newRequire(tt.give); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("newRequire(%+v) = %v, want an error containing %q", tt.give, err, tt.want)
			}
		})
	}
}

// TestAuthChains runs authentication and authorisation stages together,
// as a route declares them: optional stages in turn, then Require.
func TestAuthChains(t *testing.T) {
	k := newTestKeys(t)
	jcfg := jwtConfig(t, k)
	jcfg.Optional = true
	kcfg := apiKeyConfig()
	kcfg.Optional = true
	optJWT, optKey := must(t)(newJWT(jcfg)), must(t)(newAPIKey(kcfg))
	strictKey := must(t)(newAPIKey(apiKeyConfig()))
	admin := must(t)(newRequire(RequireConfig{AnyOfRoles: []string{"admin"}}))
	token := sign(t, jwt.SigningMethodHS256, k.secret, "hs", claims("roles", []string{"user"}))
	tests := []struct {
		name          string
		stages        []actors.Stage
		header        []string
		wantStatus    int
		wantSub       string
		wantChallenge []string
	}{
		{name: "jwt or key: nothing", stages: []actors.Stage{optJWT, optKey, admin}, wantStatus: http.StatusUnauthorized,
			wantChallenge: []string{`Bearer realm="troupe"`, `ApiKey realm="troupe"`}},
		{name: "jwt or key: admin key", stages: []actors.Stage{optJWT, optKey, admin}, header: []string{"X-API-Key", opsKey}, wantStatus: http.StatusOK, wantSub: "ops"},
		{name: "jwt or key: non-admin key", stages: []actors.Stage{optJWT, optKey, admin}, header: []string{"X-API-Key", ciKey}, wantStatus: http.StatusForbidden, wantSub: "ci"},
		{name: "jwt or key: user token", stages: []actors.Stage{optJWT, optKey, admin}, header: []string{"Authorization", "Bearer " + token}, wantStatus: http.StatusForbidden, wantSub: "alice"},
		{name: "jwt then a strict key stage: token is enough", stages: []actors.Stage{optJWT, strictKey}, header: []string{"Authorization", "Bearer " + token}, wantStatus: http.StatusOK, wantSub: "alice"},
		{name: "bad token is not skipped", stages: []actors.Stage{optJWT, optKey, admin}, header: []string{"Authorization", "Bearer x", "X-API-Key", opsKey}, wantStatus: http.StatusUnauthorized,
			wantChallenge: []string{invalidToken}},
		{name: "require alone", stages: []actors.Stage{admin}, wantStatus: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.Run(t, chain(tt.stages...), request("/", tt.header...))
			var gotSub string
			if p := principal.From(out.Exchange); p != nil {
				gotSub = p.Subject
			}
			if out.Status != tt.wantStatus || gotSub != tt.wantSub {
				t.Errorf("status %d (%v), subject %q; want %d, %q", out.Status, out.Err, gotSub, tt.wantStatus, tt.wantSub)
			}
			if got := out.Header.Values("WWW-Authenticate"); !slices.Equal(got, tt.wantChallenge) {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantChallenge)
			}
		})
	}
}

// TestPreflightsPass checks that every stage lets a CORS preflight through
// untouched: browsers send it without credentials.
func TestPreflightsPass(t *testing.T) {
	k := newTestKeys(t)
	tests := []struct {
		name  string
		stage actors.Stage
	}{
		{name: "api_key", stage: must(t)(newAPIKey(apiKeyConfig()))},
		{name: "jwt", stage: must(t)(newJWT(jwtConfig(t, k)))},
		{name: "basic_auth", stage: must(t)(newBasic(basicConfig()))},
		{name: "require", stage: must(t)(newRequire(RequireConfig{AnyOfRoles: []string{"admin"}}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.Run(t, tt.stage, request("/"), stagetest.WithSetup(func(ex *actors.Exchange) { ex.SetPreflight("GET") }))
			if out.Err != nil || !out.HandlerRan || principal.From(out.Exchange) != nil {
				t.Errorf("preflight: %v, handler ran %v, principal %+v; want it through untouched", out.Err, out.HandlerRan, principal.From(out.Exchange))
			}
		})
	}
}
