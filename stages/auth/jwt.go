package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/principal"
)

// DefaultMaxTokenBytes is the longest bearer token a JWT stage reads unless
// its configuration says otherwise: 8 KiB.
const DefaultMaxTokenBytes = 8 << 10

// JWTConfig configures a JWT stage. The zero value of every field but the
// keys works.
type JWTConfig struct {
	// Keys are the verification keys by key id ("kid"). With exactly one
	// key in all (Keys and JWKSFile together), tokens may leave kid out
	// (one that names another kid is rejected); with several, a token must
	// name its key.
	Keys map[string]JWTKey `yaml:"keys"`
	// JWKSFile is a JSON Web Key Set file (RFC 7517) of further keys, read
	// once, by JWT. Keys without "alg" are pinned by their type: RSA to
	// RS256, EC to ES256, symmetric to HS256; keys with "use": "enc" are
	// skipped.
	JWKSFile string `yaml:"jwks_file"`
	// Issuer, when set, is the "iss" tokens must carry.
	Issuer string `yaml:"issuer"`
	// Audiences, when set, are the audiences accepted: a token's "aud" must
	// name at least one.
	Audiences []string `yaml:"audiences"`
	// Leeway is the clock skew allowed when checking "exp" and "nbf".
	// Defaults to 0.
	Leeway time.Duration `yaml:"leeway"`
	// AllowMissingExp accepts tokens without "exp". By default they are
	// rejected: a token that never expires cannot be revoked.
	AllowMissingExp bool `yaml:"allow_missing_exp"`
	// MaxTokenBytes is the longest token read; longer ones are answered
	// 401 before any decoding. Defaults to DefaultMaxTokenBytes.
	MaxTokenBytes int `yaml:"max_token_bytes"`
	// RolesClaim and PermissionsClaim name the claims that hold the
	// principal's roles and permissions: a list of strings, or one string
	// of space-separated values (as OAuth's "scope"). Default to "roles"
	// and "permissions".
	RolesClaim       string `yaml:"roles_claim"`
	PermissionsClaim string `yaml:"permissions_claim"`
	// Realm is the realm of the challenge. Defaults to DefaultRealm.
	Realm string `yaml:"realm"`
	// Optional lets a request without a bearer token through
	// unauthenticated, for a later authentication stage or Require to deal
	// with. An invalid token is still answered 401.
	Optional bool `yaml:"optional"`
	// FailureLimit limits forged tokens per client address: by default,
	// after 10 within a minute, 429 until the oldest is a minute old. Only
	// tokens whose signature does not verify (malformed, unknown key id,
	// wrong algorithm or signature) count: one that is signed but
	// expired, not yet valid, for another issuer or audience, or without
	// "sub" was made by the key's holder, and is no guess. See
	// FailureLimit.
	FailureLimit FailureLimit `yaml:"failure_limit"`
}

// JWT returns the Spec of a stage named name that authenticates requests
// by a bearer JSON Web Token (RFC 6750, RFC 7519; stateless, of priority
// Priority): it verifies the token's signature with the
// key its "kid" names, using only the algorithm pinned to that key, checks
// "exp", "nbf" and, when configured, "iss" and "aud", and sets the
// principal (Subject: "sub", which tokens must carry; Method "jwt"; Roles
// and Permissions from the configured claims; Claims: all of them).
//
//	tokens, err := auth.JWT("jwt", auth.JWTConfig{
//		Keys:      map[string]auth.JWTKey{"2026-01": {Alg: "RS256", PublicKeyFile: "/etc/troupe/jwt.pem"}},
//		Issuer:    "https://id.example.com",
//		Audiences: []string{"api"},
//	})
//	if err != nil { … }
//	api.Use(tokens)
//
// A request without a bearer token is answered 401 with
// `WWW-Authenticate: Bearer realm="…"`; one with a bad token (malformed,
// too long, unknown kid, wrong algorithm or signature, expired, not yet
// valid, wrong issuer or audience) with `Bearer realm="…",
// error="invalid_token"`. Never 5xx. A client address that has presented
// 10 tokens whose signature does not verify within a minute is answered
// 429 instead, without its token being looked at, until the oldest of them
// is a minute old (JWTConfig.FailureLimit). The stage is safe for
// concurrent use. Errors begin with "jwt: ".
func JWT(name string, cfg JWTConfig) (*actors.Spec, error) {
	return spec(name, "jwt")(newJWT(cfg))
}

// newJWT returns the stage JWT declares.
func newJWT(cfg JWTConfig) (actors.Stage, error) {
	r, err := realm(cfg.Realm)
	if err != nil {
		return nil, err
	}
	s := &jwtStage{
		challenge:        `Bearer realm="` + r + `"`,
		invalid:          `Bearer realm="` + r + `", error="invalid_token"`,
		optional:         cfg.Optional,
		maxBytes:         cfg.MaxTokenBytes,
		rolesClaim:       cfg.RolesClaim,
		permissionsClaim: cfg.PermissionsClaim,
		keys:             map[string]*verifier{},
	}
	switch {
	case cfg.MaxTokenBytes < 0:
		return nil, fmt.Errorf("max_token_bytes %d is negative", cfg.MaxTokenBytes)
	case cfg.MaxTokenBytes == 0:
		s.maxBytes = DefaultMaxTokenBytes
	}
	if cfg.Leeway < 0 {
		return nil, fmt.Errorf("leeway %v is negative", cfg.Leeway)
	}
	if s.rolesClaim == "" {
		s.rolesClaim = "roles"
	}
	if s.permissionsClaim == "" {
		s.permissionsClaim = "permissions"
	}
	opts := []jwt.ParserOption{jwt.WithLeeway(cfg.Leeway), jwt.WithStrictDecoding()}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if len(cfg.Audiences) > 0 {
		opts = append(opts, jwt.WithAudience(cfg.Audiences...))
	}
	if !cfg.AllowMissingExp {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	add := func(kid, alg string, key any) error {
		if _, dup := s.keys[kid]; dup {
			return fmt.Errorf("key id %q given twice", kid)
		}
		s.keys[kid] = newVerifier(alg, key, opts)
		return nil
	}
	for _, kid := range slices.Sorted(maps.Keys(cfg.Keys)) {
		k := cfg.Keys[kid]
		if !slices.Contains(algorithms, k.Alg) {
			return nil, fmt.Errorf("key %q: alg %q is not one of %s", kid, k.Alg, strings.Join(algorithms, ", "))
		}
		key, err := k.material()
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", kid, err)
		}
		if err := add(kid, k.Alg, key); err != nil {
			return nil, err
		}
	}
	if cfg.JWKSFile != "" {
		set, err := readJWKS(cfg.JWKSFile)
		if err != nil {
			return nil, err
		}
		for _, k := range set {
			if err := add(k.kid, k.alg, k.key); err != nil {
				return nil, err
			}
		}
	}
	switch {
	case len(s.keys) == 0:
		return nil, errors.New("no keys: give keys or a jwks_file")
	case len(s.keys) > 1 && s.keys[""] != nil:
		return nil, errors.New("a key without a key id among several: each needs one")
	case len(s.keys) == 1:
		for _, v := range s.keys {
			s.only = v
		}
	}
	if s.failures, err = newFailures(cfg.FailureLimit); err != nil {
		return nil, err
	}
	return s, nil
}

// verifier checks tokens with one key, pinned to one algorithm.
type verifier struct {
	alg    string
	key    any // []byte, *rsa.PublicKey or *ecdsa.PublicKey
	parser *jwt.Parser
}

// newVerifier returns a verifier of key whose parser takes opts and alg alone.
func newVerifier(alg string, key any, opts []jwt.ParserOption) *verifier {
	return &verifier{
		alg:    alg,
		key:    key,
		parser: jwt.NewParser(append(slices.Clone(opts), jwt.WithValidMethods([]string{alg}))...),
	}
}

// keyfunc hands the parser the key, checking the algorithm once more.
func (v *verifier) keyfunc(t *jwt.Token) (any, error) {
	if t.Method == nil || t.Method.Alg() != v.alg {
		return nil, errWrongAlg
	}
	return v.key, nil
}

// jwtStage is the JWT stage.
type jwtStage struct {
	challenge, invalid string
	optional           bool
	maxBytes           int
	rolesClaim         string
	permissionsClaim   string
	keys               map[string]*verifier // by kid
	only               *verifier            // the one key, when there is one
	failures           *failures            // nil: not limited
}

var _ actors.Stage = (*jwtStage)(nil)

// Process authenticates the request or answers 401.
func (s *jwtStage) Process(ex *actors.Exchange) error {
	if skip(ex) {
		return nil
	}
	scheme, token, _ := strings.Cut(ex.Request.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		if s.optional {
			deferChallenge(ex, s.challenge)
			return nil
		}
		return unauthorized(ex, s.challenge, "a bearer token is required", errNoCredentials)
	}
	at, err := s.failures.check(ex)
	if err != nil {
		return err
	}
	p, err := s.verify(strings.TrimLeft(token, " "))
	if err != nil {
		if signed(err) {
			at.passed()
		} else {
			at.failed()
		}
		return unauthorized(ex, s.invalid, "the bearer token is not valid", err)
	}
	at.passed()
	principal.Key.Set(ex, p)
	return nil
}

// verify checks token and returns its principal.
func (s *jwtStage) verify(token string) (*principal.Principal, error) {
	if token == "" {
		return nil, errEmptyToken
	}
	if len(token) > s.maxBytes {
		return nil, fmt.Errorf("token of %d bytes: %w", len(token), errTokenTooLong)
	}
	v, err := s.pick(token)
	if err != nil {
		return nil, err
	}
	claims := jwt.MapClaims{}
	if _, err := v.parser.ParseWithClaims(token, claims, v.keyfunc); err != nil {
		return nil, err
	}
	sub, err := claims.GetSubject()
	if err != nil || sub == "" {
		return nil, errNoSubject
	}
	return &principal.Principal{
		Subject:     sub,
		Method:      "jwt",
		Roles:       stringsClaim(claims[s.rolesClaim]),
		Permissions: stringsClaim(claims[s.permissionsClaim]),
		Claims:      claims,
	}, nil
}

// pick returns the verifier for token, by the kid of its header.
func (s *jwtStage) pick(token string) (*verifier, error) {
	seg, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", jwt.ErrTokenMalformed, err)
	}
	var h struct {
		Kid *string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("%w: header: %w", jwt.ErrTokenMalformed, err)
	}
	switch {
	case h.Kid != nil:
		if v := s.keys[*h.Kid]; v != nil {
			return v, nil
		}
		return nil, fmt.Errorf("kid %q: %w", *h.Kid, errUnknownKid)
	case s.only != nil:
		return s.only, nil
	}
	return nil, errNoKid
}

// signed reports whether err, from verify, refused a token whose
// signature verified: its claims failed. The parser checks the signature
// first.
func signed(err error) bool {
	return errors.Is(err, jwt.ErrTokenInvalidClaims) || errors.Is(err, errNoSubject)
}

// stringsClaim returns a claim's strings: the elements of a list that are
// strings, or the space-separated values of a string.
func stringsClaim(v any) []string {
	switch v := v.(type) {
	case string:
		return strings.Fields(v)
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

var (
	errEmptyToken   = errors.New("empty bearer token")
	errTokenTooLong = errors.New("bearer token too long")
	errUnknownKid   = errors.New("unknown key id")
	errNoKid        = errors.New("token names no key id, and there are several keys")
	errWrongAlg     = errors.New("token's algorithm is not its key's")
	errNoSubject    = errors.New(`token has no "sub"`)
)
