package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"maps"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/troupe-go/troupe/stages/principal"
	"github.com/troupe-go/troupe/stagetest"
)

const (
	testIssuer     = "https://id.test"
	invalidToken   = `Bearer realm="troupe", error="invalid_token"`
	bearerRequired = `Bearer realm="troupe"`
)

// jwtConfig has three keys, one of each algorithm: "hs" (secret from the
// environment), "rs" (inline PEM) and "es" (PEM file).
func jwtConfig(t *testing.T, k testKeys) JWTConfig {
	t.Helper()
	t.Setenv("TROUPE_TEST_JWT_SECRET", string(k.secret))
	return JWTConfig{
		Keys: map[string]JWTKey{
			"hs": {Alg: "HS256", SecretEnv: "TROUPE_TEST_JWT_SECRET"},
			"rs": {Alg: "RS256", PublicKey: string(k.rsaPublicPEM)},
			"es": {Alg: "ES256", PublicKeyFile: writeFile(t, "es.pem", string(k.ecPublicPEM))},
		},
		Issuer:    testIssuer,
		Audiences: []string{"api", "admin-api"},
	}
}

// claims returns valid claims, changed by the given pairs: a nil value
// deletes the claim.
func claims(pairs ...any) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"sub":         "alice",
		"iss":         testIssuer,
		"aud":         "api",
		"exp":         now.Add(time.Hour).Unix(),
		"nbf":         now.Add(-time.Minute).Unix(),
		"roles":       []string{"admin", "user"},
		"permissions": "items:read items:write",
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == nil {
			delete(c, pairs[i].(string))
		} else {
			c[pairs[i].(string)] = pairs[i+1]
		}
	}
	return c
}

// sign signs c with method and key, naming kid unless it is empty.
func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("signing a %s token: %v", method.Alg(), err)
	}
	return s
}

// signEmptyKid signs valid claims with RS256, with a kid header that is
// present but empty.
func signEmptyKid(t *testing.T, key *rsa.PrivateKey) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims())
	tok.Header["kid"] = ""
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func bearer(token string) *http.Request { return request("/", "Authorization", "Bearer "+token) }

func TestJWTAccepts(t *testing.T) {
	k := newTestKeys(t)
	cfg := jwtConfig(t, k)
	tests := []struct {
		name  string
		give  string // token
		wantP principal.Principal
	}{
		{name: "HS256", give: sign(t, jwt.SigningMethodHS256, k.secret, "hs", claims()),
			wantP: principal.Principal{Subject: "alice", Method: "jwt", Roles: []string{"admin", "user"}, Permissions: []string{"items:read", "items:write"}}},
		{name: "RS256", give: sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims("sub", "bob", "roles", "user", "permissions", []any{"a", 1, "b"})),
			wantP: principal.Principal{Subject: "bob", Method: "jwt", Roles: []string{"user"}, Permissions: []string{"a", "b"}}},
		{name: "ES256", give: sign(t, jwt.SigningMethodES256, k.ec, "es", claims("roles", nil, "permissions", nil)),
			wantP: principal.Principal{Subject: "alice", Method: "jwt"}},
		{name: "second audience of a list", give: sign(t, jwt.SigningMethodHS256, k.secret, "hs", claims("aud", []string{"other", "admin-api"})),
			wantP: principal.Principal{Subject: "alice", Method: "jwt", Roles: []string{"admin", "user"}, Permissions: []string{"items:read", "items:write"}}},
	}
	stage := must(t)(newJWT(cfg))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.Run(t, stage, bearer(tt.give))
			if out.Status != http.StatusOK || !out.HandlerRan {
				t.Fatalf("status %d (%v), want 200 from the handler", out.Status, out.Err)
			}
			p := principal.From(out.Exchange)
			if p == nil || p.Subject != tt.wantP.Subject || p.Method != tt.wantP.Method ||
				!slices.Equal(p.Roles, tt.wantP.Roles) || !slices.Equal(p.Permissions, tt.wantP.Permissions) {
				t.Errorf("principal = %+v, want %+v", p, tt.wantP)
			}
			if p != nil && p.Claims["iss"] != testIssuer {
				t.Errorf("claims = %v, want them all, iss %q among them", p.Claims, testIssuer)
			}
		})
	}
}

// TestJWTRejects checks the tokens that must never pass: each is answered
// 401 with the invalid_token challenge, never 5xx, and sets no principal.
func TestJWTRejects(t *testing.T) {
	k := newTestKeys(t)
	cfg := jwtConfig(t, k)
	otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	otherEC, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	valid := sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims())
	parts := strings.Split(valid, ".")
	otherPayload := strings.Split(sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims("sub", "mallory")), ".")[1]
	seg := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	now := time.Now()
	tests := []struct {
		name string
		give string // token
	}{
		{name: "alg none", give: sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "rs", claims())},
		{name: "alg none without kid", give: sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claims())},
		{name: "alg none with a hand-made signature-less token", give: seg(map[string]string{"alg": "none", "kid": "hs"}) + "." + parts[1] + "."},
		{name: "HS256 signed with the RSA public key against an RS256 kid", give: sign(t, jwt.SigningMethodHS256, k.rsaPublicPEM, "rs", claims())},
		{name: "HS256 signed with the EC public key against an ES256 kid", give: sign(t, jwt.SigningMethodHS256, k.ecPublicPEM, "es", claims())},
		{name: "RS256 against an HS256 kid", give: sign(t, jwt.SigningMethodRS256, k.rsa, "hs", claims())},
		{name: "ES256 against an RS256 kid", give: sign(t, jwt.SigningMethodES256, k.ec, "rs", claims())},
		{name: "RS384 with the right key", give: sign(t, jwt.SigningMethodRS384, k.rsa, "rs", claims())},
		{name: "PS256 with the right key", give: sign(t, jwt.SigningMethodPS256, k.rsa, "rs", claims())},
		{name: "HS256 with another secret", give: sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), "hs", claims())},
		{name: "RS256 by another key", give: sign(t, jwt.SigningMethodRS256, otherRSA, "rs", claims())},
		{name: "ES256 by another key", give: sign(t, jwt.SigningMethodES256, otherEC, "es", claims())},
		{name: "expired", give: sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims("exp", now.Add(-time.Minute).Unix()))},
		{name: "not yet valid", give: sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims("nbf", now.Add(time.Minute).Unix()))},
		{name: "no exp", give: sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims("exp", nil))},
		{name: "exp not a number", give: sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims("exp", "tomorrow"))},
		{name: "wrong iss", give: sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims("iss", "https://evil.test"))},
		{name: "no iss", give: sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims("iss", nil))},
		{name: "wrong aud", give: sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims("aud", "other"))},
		{name: "no aud", give: sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims("aud", nil))},
		{name: "no sub", give: sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims("sub", nil))},
		{name: "sub not a string", give: sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims("sub", 42))},
		{name: "malformed: garbage", give: "garbage"},
		{name: "malformed: two segments", give: parts[0] + "." + parts[1]},
		{name: "malformed: four segments", give: valid + ".x"},
		{name: "malformed: bad base64 everywhere", give: "!!!.@@@.###"},
		{name: "malformed: bad base64 header", give: "e30*." + parts[1] + "." + parts[2]},
		{name: "malformed: bad base64 signature", give: parts[0] + "." + parts[1] + ".*" + parts[2][1:]},
		{name: "malformed: padded base64", give: parts[0] + "=." + parts[1] + "." + parts[2]},
		{name: "malformed: header not JSON", give: base64.RawURLEncoding.EncodeToString([]byte("not json")) + "." + parts[1] + "." + parts[2]},
		{name: "malformed: kid not a string", give: seg(map[string]any{"alg": "RS256", "kid": 7}) + "." + parts[1] + "." + parts[2]},
		{name: "tampered payload", give: parts[0] + "." + otherPayload + "." + parts[2]},
		{name: "16 KiB token", give: sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims("pad", strings.Repeat("x", 16<<10)))},
		{name: "unknown kid", give: sign(t, jwt.SigningMethodRS256, k.rsa, "nope", claims())},
		{name: "empty kid", give: signEmptyKid(t, k.rsa)},
		{name: "missing kid among several keys", give: sign(t, jwt.SigningMethodHS256, k.secret, "", claims())},
		{name: "empty token", give: ""},
	}
	cfg.FailureLimit.Disabled = true // every row is a forged token from one address: see TestFailureLimit
	stage := must(t)(newJWT(cfg))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.Run(t, stage, bearer(tt.give))
			checkUnauthorized(t, out, invalidToken)
			if out.Err != nil && strings.Contains(string(out.Body), "signature") {
				t.Errorf("problem body %s tells why", out.Body)
			}
		})
	}
}

func TestJWTNoToken(t *testing.T) {
	k := newTestKeys(t)
	stage := must(t)(newJWT(jwtConfig(t, k)))
	tests := []struct {
		name string
		give []string // header pairs
	}{
		{name: "no Authorization", give: nil},
		{name: "Basic credentials", give: []string{"Authorization", basicHeader("a", "b")}},
		{name: "token in another header", give: []string{"X-Token", sign(t, jwt.SigningMethodHS256, k.secret, "hs", claims())}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkUnauthorized(t, stagetest.Run(t, stage, request("/", tt.give...)), bearerRequired)
		})
	}
}

func TestJWTSchemeIsCaseInsensitive(t *testing.T) {
	k := newTestKeys(t)
	stage := must(t)(newJWT(jwtConfig(t, k)))
	r := request("/", "Authorization", "bearer  "+sign(t, jwt.SigningMethodHS256, k.secret, "hs", claims()))
	if out := stagetest.Run(t, stage, r); out.Status != http.StatusOK {
		t.Errorf("status %d (%v), want 200", out.Status, out.Err)
	}
}

func TestJWTLeeway(t *testing.T) {
	k := newTestKeys(t)
	now := time.Now()
	tests := []struct {
		name string
		give jwt.MapClaims
	}{
		{name: "expired within the leeway", give: claims("exp", now.Add(-20*time.Second).Unix())},
		{name: "not yet valid within the leeway", give: claims("nbf", now.Add(20*time.Second).Unix())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := sign(t, jwt.SigningMethodES256, k.ec, "es", tt.give)
			strict := jwtConfig(t, k)
			checkUnauthorized(t, stagetest.Run(t, must(t)(newJWT(strict)), bearer(token)), invalidToken)
			lenient := jwtConfig(t, k)
			lenient.Leeway = time.Minute
			if out := stagetest.Run(t, must(t)(newJWT(lenient)), bearer(token)); out.Status != http.StatusOK {
				t.Errorf("with a minute's leeway: status %d (%v), want 200", out.Status, out.Err)
			}
		})
	}
}

func TestJWTOneKeyKidOptional(t *testing.T) {
	k := newTestKeys(t)
	stage := must(t)(newJWT(JWTConfig{Keys: map[string]JWTKey{"rs": {Alg: "RS256", PublicKey: string(k.rsaPublicPEM)}}}))
	tests := []struct {
		name       string
		give       string
		wantStatus int
	}{
		{name: "no kid", give: sign(t, jwt.SigningMethodRS256, k.rsa, "", claims()), wantStatus: http.StatusOK},
		{name: "its kid", give: sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims()), wantStatus: http.StatusOK},
		{name: "another kid", give: sign(t, jwt.SigningMethodRS256, k.rsa, "other", claims()), wantStatus: http.StatusUnauthorized},
		{name: "no kid, HS256 with the public key", give: sign(t, jwt.SigningMethodHS256, k.rsaPublicPEM, "", claims()), wantStatus: http.StatusUnauthorized},
		{name: "no kid, alg none", give: sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claims()), wantStatus: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out := stagetest.Run(t, stage, bearer(tt.give)); out.Status != tt.wantStatus {
				t.Errorf("status %d (%v), want %d", out.Status, out.Err, tt.wantStatus)
			}
		})
	}
}

func TestJWTOptions(t *testing.T) {
	k := newTestKeys(t)
	tests := []struct {
		name       string
		give       func(*JWTConfig)
		token      jwt.MapClaims
		wantStatus int
		wantSub    string
	}{
		{name: "no exp allowed", give: func(c *JWTConfig) { c.AllowMissingExp = true }, token: claims("exp", nil), wantStatus: http.StatusOK, wantSub: "alice"},
		{name: "expired even so", give: func(c *JWTConfig) { c.AllowMissingExp = true }, token: claims("exp", time.Now().Add(-time.Hour).Unix()), wantStatus: http.StatusUnauthorized},
		{name: "no issuer check", give: func(c *JWTConfig) { c.Issuer = "" }, token: claims("iss", "anyone"), wantStatus: http.StatusOK, wantSub: "alice"},
		{name: "no audience check", give: func(c *JWTConfig) { c.Audiences = nil }, token: claims("aud", nil), wantStatus: http.StatusOK, wantSub: "alice"},
		{name: "smaller max", give: func(c *JWTConfig) { c.MaxTokenBytes = 64 }, token: claims(), wantStatus: http.StatusUnauthorized},
		{name: "7 KiB token under the default max", give: func(*JWTConfig) {}, token: claims("pad", strings.Repeat("x", 5<<10)), wantStatus: http.StatusOK, wantSub: "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := jwtConfig(t, k)
			tt.give(&cfg)
			out := stagetest.Run(t, must(t)(newJWT(cfg)), bearer(sign(t, jwt.SigningMethodHS256, k.secret, "hs", tt.token)))
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

func TestJWTClaimNames(t *testing.T) {
	k := newTestKeys(t)
	cfg := jwtConfig(t, k)
	cfg.RolesClaim, cfg.PermissionsClaim = "groups", "scope"
	token := sign(t, jwt.SigningMethodHS256, k.secret, "hs", claims("groups", []string{"ops"}, "scope", "read write"))
	p := principal.From(stagetest.Run(t, must(t)(newJWT(cfg)), bearer(token)).Exchange)
	if p == nil || !slices.Equal(p.Roles, []string{"ops"}) || !slices.Equal(p.Permissions, []string{"read", "write"}) {
		t.Errorf("principal = %+v, want roles [ops] from groups, permissions [read write] from scope", p)
	}
}

func TestJWTOptional(t *testing.T) {
	k := newTestKeys(t)
	cfg := jwtConfig(t, k)
	cfg.Optional = true
	stage := must(t)(newJWT(cfg))
	out := stagetest.Run(t, stage, request("/"))
	if out.Status != http.StatusOK || principal.From(out.Exchange) != nil {
		t.Errorf("no token: status %d, principal %+v; want 200 unauthenticated", out.Status, principal.From(out.Exchange))
	}
	checkUnauthorized(t, stagetest.Run(t, stage, bearer("garbage")), invalidToken)
}

// TestJWKS reads keys from a JWKS file written by go-jose.
func TestJWKS(t *testing.T) {
	k := newTestKeys(t)
	encKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &k.rsa.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"},
		{Key: k.ec, KeyID: "k2"}, // a private key, no alg: ES256, by its public half
		{Key: &encKey.PublicKey, KeyID: "enc", Algorithm: "RSA-OAEP", Use: "enc"},
	}}
	data, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	stage := must(t)(newJWT(JWTConfig{JWKSFile: writeFile(t, "jwks.json", string(data))}))
	tests := []struct {
		name       string
		give       string
		wantStatus int
	}{
		{name: "RS256 key", give: sign(t, jwt.SigningMethodRS256, k.rsa, "k1", claims()), wantStatus: http.StatusOK},
		{name: "ES256 key without alg", give: sign(t, jwt.SigningMethodES256, k.ec, "k2", claims()), wantStatus: http.StatusOK},
		{name: "HS256 with the JWKS public key", give: sign(t, jwt.SigningMethodHS256, k.rsaPublicPEM, "k1", claims()), wantStatus: http.StatusUnauthorized},
		{name: "RS256 against the ES256 key", give: sign(t, jwt.SigningMethodRS256, k.rsa, "k2", claims()), wantStatus: http.StatusUnauthorized},
		{name: "encryption key skipped", give: sign(t, jwt.SigningMethodRS256, encKey, "enc", claims()), wantStatus: http.StatusUnauthorized},
		{name: "no kid", give: sign(t, jwt.SigningMethodRS256, k.rsa, "", claims()), wantStatus: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out := stagetest.Run(t, stage, bearer(tt.give)); out.Status != tt.wantStatus {
				t.Errorf("status %d (%v), want %d", out.Status, out.Err, tt.wantStatus)
			}
		})
	}
}

func TestJWTConfigErrors(t *testing.T) {
	k := newTestKeys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret := string(k.secret)
	rsaPEM, ecPEM := string(k.rsaPublicPEM), string(k.ecPublicPEM)
	jwks := func(keys ...jose.JSONWebKey) string {
		data, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, "jwks.json", string(data))
	}
	one := map[string]JWTKey{"hs": {Alg: "HS256", Secret: secret}}
	tests := []struct {
		name string
		give JWTConfig
		want string // part of the error
	}{
		{name: "no keys", give: JWTConfig{}, want: "no keys"},
		{name: "no alg", give: JWTConfig{Keys: map[string]JWTKey{"a": {Secret: secret}}}, want: `key "a": alg "" is not one of HS256, RS256, ES256`},
		{name: "alg none", give: JWTConfig{Keys: map[string]JWTKey{"a": {Alg: "none", Secret: secret}}}, want: `alg "none" is not one of`},
		{name: "alg RS512", give: JWTConfig{Keys: map[string]JWTKey{"a": {Alg: "RS512", PublicKey: rsaPEM}}}, want: `alg "RS512" is not one of`},
		{name: "short secret", give: JWTConfig{Keys: map[string]JWTKey{"a": {Alg: "HS256", Secret: "short"}}}, want: "HS256 secret is shorter than 32 bytes"},
		{name: "secret env unset", give: JWTConfig{Keys: map[string]JWTKey{"a": {Alg: "HS256", SecretEnv: "TROUPE_TEST_UNSET"}}}, want: "TROUPE_TEST_UNSET is not set or empty"},
		{name: "secret and public key", give: JWTConfig{Keys: map[string]JWTKey{"a": {Alg: "HS256", Secret: secret, PublicKey: rsaPEM}}}, want: "give one of"},
		{name: "no key material", give: JWTConfig{Keys: map[string]JWTKey{"a": {Alg: "HS256"}}}, want: "no key"},
		{name: "HS256 pinned to an RSA key", give: JWTConfig{Keys: map[string]JWTKey{"a": {Alg: "HS256", PublicKey: rsaPEM}}}, want: `an RSA key is for RS256, not "HS256"`},
		{name: "RS256 pinned to a secret", give: JWTConfig{Keys: map[string]JWTKey{"a": {Alg: "RS256", Secret: secret}}}, want: `a secret is for HS256, not "RS256"`},
		{name: "ES256 pinned to an RSA key", give: JWTConfig{Keys: map[string]JWTKey{"a": {Alg: "ES256", PublicKey: rsaPEM}}}, want: `an RSA key is for RS256, not "ES256"`},
		{name: "RS256 pinned to an EC key", give: JWTConfig{Keys: map[string]JWTKey{"a": {Alg: "RS256", PublicKey: ecPEM}}}, want: `an EC key is for ES256, not "RS256"`},
		{name: "1024-bit RSA", give: JWTConfig{Keys: map[string]JWTKey{"a": {Alg: "RS256", PublicKey: string(publicPEM(t, &small.PublicKey))}}}, want: "RSA key has 1024 bits, want at least 2048"},
		{name: "P-384", give: JWTConfig{Keys: map[string]JWTKey{"a": {Alg: "ES256", PublicKey: string(publicPEM(t, &p384.PublicKey))}}}, want: "EC key is on P-384, want P-256"},
		{name: "not PEM", give: JWTConfig{Keys: map[string]JWTKey{"a": {Alg: "RS256", PublicKey: "MIIBIjAN"}}}, want: "not PEM encoded"},
		{name: "missing PEM file", give: JWTConfig{Keys: map[string]JWTKey{"a": {Alg: "RS256", PublicKeyFile: "/nonexistent.pem"}}}, want: "public_key_file: open /nonexistent.pem"},
		{name: "missing JWKS", give: JWTConfig{JWKSFile: "/nonexistent.json"}, want: "jwks_file: open /nonexistent.json"},
		{name: "JWKS not JSON", give: JWTConfig{JWKSFile: writeFile(t, "jwks.json", "{")}, want: "jwks_file"},
		{name: "JWKS key with an unsupported alg", give: JWTConfig{JWKSFile: jwks(jose.JSONWebKey{Key: &k.rsa.PublicKey, KeyID: "x", Algorithm: "PS256"})}, want: `key 0 (kid "x"): an RSA key is for RS256, not "PS256"`},
		{name: "kid in keys and JWKS", give: JWTConfig{Keys: one, JWKSFile: jwks(jose.JSONWebKey{Key: &k.rsa.PublicKey, KeyID: "hs"})}, want: `key id "hs" given twice`},
		{name: "key without kid among several", give: JWTConfig{Keys: one, JWKSFile: jwks(jose.JSONWebKey{Key: &k.rsa.PublicKey})}, want: "a key without a key id among several"},
		{name: "negative leeway", give: JWTConfig{Keys: one, Leeway: -time.Second}, want: "leeway -1s is negative"},
		{name: "negative max", give: JWTConfig{Keys: one, MaxTokenBytes: -1}, want: "max_token_bytes -1 is negative"},
		{name: "bad realm", give: JWTConfig{Keys: one, Realm: `x\y`}, want: "realm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newJWT(tt.give)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("newJWT(%s) = %v, want an error containing %q", tt.name, err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}

// TestJWTConcurrent checks that one stage value serves concurrent requests
// (run it with -race).
func TestJWTConcurrent(t *testing.T) {
	k := newTestKeys(t)
	stage := must(t)(newJWT(jwtConfig(t, k)))
	tokens := map[string]string{
		"hs": sign(t, jwt.SigningMethodHS256, k.secret, "hs", claims("sub", "hs")),
		"rs": sign(t, jwt.SigningMethodRS256, k.rsa, "rs", claims("sub", "rs")),
		"es": sign(t, jwt.SigningMethodES256, k.ec, "es", claims("sub", "es")),
	}
	done := make(chan string)
	for _, kid := range slices.Sorted(maps.Keys(tokens)) {
		go func() {
			ex := stagetest.Exchange(t, bearer(tokens[kid]))
			if err := stage.Process(ex); err != nil {
				done <- err.Error()
				return
			}
			done <- principal.From(ex).Subject
		}()
	}
	var got []string
	for range tokens {
		got = append(got, <-done)
	}
	slices.Sort(got)
	if want := []string{"es", "hs", "rs"}; !slices.Equal(got, want) {
		t.Errorf("subjects = %q, want %q", got, want)
	}
}

func TestJWTPublicKeyFormats(t *testing.T) {
	k := newTestKeys(t)
	cert, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(1), NotAfter: time.Now().Add(time.Hour)},
		&x509.Certificate{SerialNumber: big.NewInt(1)}, &k.rsa.PublicKey, k.rsa)
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	tests := []struct {
		name string
		give string // PEM
	}{
		{name: "PKIX", give: string(k.rsaPublicPEM)},
		{name: "PKCS #1", give: pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey))},
		{name: "certificate", give: pemOf("CERTIFICATE", cert)},
	}
	token := sign(t, jwt.SigningMethodRS256, k.rsa, "", claims())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stage := must(t)(newJWT(JWTConfig{Keys: map[string]JWTKey{"rs": {Alg: "RS256", PublicKey: tt.give}}}))
			if out := stagetest.Run(t, stage, bearer(token)); out.Status != http.StatusOK {
				t.Errorf("status %d (%v), want 200", out.Status, out.Err)
			}
		})
	}
	private := pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.rsa))
	if _, err := newJWT(JWTConfig{Keys: map[string]JWTKey{"rs": {Alg: "RS256", PublicKey: private}}}); err == nil || !strings.Contains(err.Error(), `PEM block "RSA PRIVATE KEY" is not a public key`) {
		t.Errorf("JWT with a private key PEM = %v, want it refused", err)
	}
}
