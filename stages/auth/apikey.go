package auth

import (
	"errors"
	"fmt"
	"golang.org/x/net/http/httpguts"
	"maps"
	"net/http"
	"os"
	"slices"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/principal"
)

// DefaultAPIKeyHeader is the header an APIKey stage reads unless its
// configuration names another.
const DefaultAPIKeyHeader = "X-API-Key"

// minKeyLen is the shortest API key accepted, in bytes: shorter ones are
// guessable.
const minKeyLen = 16

// APIKeyConfig configures an APIKey stage. Every key comes from exactly
// one place: inline (Key), an environment variable (Env) or a line of File.
type APIKeyConfig struct {
	// Header is the request header that carries the key. Defaults to
	// DefaultAPIKeyHeader.
	Header string `yaml:"header"`
	// Query is the query parameter that carries the key when the header is
	// absent or empty; the header wins when both are given. Empty (the
	// default): the query is not read. Query strings end up in access logs
	// and browser histories; prefer the header.
	Query string `yaml:"query"`
	// Keys are the accepted keys by name, the name becoming the principal's
	// Subject. An entry with neither Key nor Env takes its key from the
	// line of File with its name; lines of File without an entry are keys
	// without roles or permissions.
	Keys map[string]APIKeyEntry `yaml:"keys"`
	// File is a file of keys, one "name:key" per line; blank lines and
	// lines starting with "#" are skipped. It is read once, by APIKey.
	File string `yaml:"file"`
	// Realm is the realm of the challenge. Defaults to DefaultRealm.
	Realm string `yaml:"realm"`
	// Optional lets a request without a key through unauthenticated, for a
	// later authentication stage or Require to deal with. A wrong key is
	// still answered 401.
	Optional bool `yaml:"optional"`
	// FailureLimit limits wrong keys per client address: by default, after
	// 10 within a minute, 429 until the oldest is a minute old. See
	// FailureLimit.
	FailureLimit FailureLimit `yaml:"failure_limit"`
}

// APIKeyEntry is one accepted API key and what it grants.
type APIKeyEntry struct {
	// Key is the key itself. Keep keys out of files under version control:
	// prefer Env or APIKeyConfig.File.
	Key string `yaml:"key"`
	// Env names the environment variable that holds the key; it is read
	// once, by APIKey.
	Env string `yaml:"env"`
	// Roles and Permissions are the principal's.
	Roles       []string `yaml:"roles"`
	Permissions []string `yaml:"permissions"`
}

// APIKey returns the Spec of a stage named name that authenticates
// requests by API key (stateless, of priority Priority): it reads
// the key from the header (or the query parameter), and on a match sets the
// principal (Subject: the key's name, Method "api_key", the entry's roles
// and permissions). A missing or unknown key is answered 401 with
// `WWW-Authenticate: ApiKey realm="…"`. Keys are at least 16 bytes, and no
// two names share one. A client address that has presented 10 wrong keys
// within a minute is answered 429 instead, without its key being looked
// at, until the oldest of them is a minute old (APIKeyConfig.FailureLimit).
//
//	keys, err := auth.APIKey("api-key", auth.APIKeyConfig{
//		Query: "api_key",
//		Keys:  map[string]auth.APIKeyEntry{"ci": {Env: "CI_API_KEY", Roles: []string{"deployer"}}},
//	})
//	if err != nil { … }
//	app.Use(keys)
//
// Presented keys are hashed with SHA-256 and compared with the digest of
// every stored key in constant time, without stopping at a match. The
// stage is safe for concurrent use. Errors begin with "api_key: ".
func APIKey(name string, cfg APIKeyConfig) (*actors.Spec, error) {
	return spec(name, "api_key")(newAPIKey(cfg))
}

// newAPIKey returns the stage APIKey declares.
func newAPIKey(cfg APIKeyConfig) (actors.Stage, error) {
	s := &apiKey{header: cfg.Header, query: cfg.Query, optional: cfg.Optional}
	if s.header == "" {
		s.header = DefaultAPIKeyHeader
	}
	if !httpguts.ValidHeaderFieldName(s.header) {
		return nil, fmt.Errorf("header %q is not a header name", s.header)
	}
	s.header = http.CanonicalHeaderKey(s.header)
	r, err := realm(cfg.Realm)
	if err != nil {
		return nil, err
	}
	s.challenge = `ApiKey realm="` + r + `"`
	grants, secrets, err := apiKeys(cfg)
	if err != nil {
		return nil, err
	}
	s.grants, s.digests = grants, newDigests(secrets)
	if s.failures, err = newFailures(cfg.FailureLimit); err != nil {
		return nil, err
	}
	return s, nil
}

// apiKeys gathers the keys of cfg, in a fixed order, with their grants.
func apiKeys(cfg APIKeyConfig) ([]grant, []string, error) {
	fromFile := map[string]string{}
	var fileOrder []string
	if cfg.File != "" {
		lines, err := readKeyFile(cfg.File)
		if err != nil {
			return nil, nil, err
		}
		for _, l := range lines {
			fromFile[l.name] = l.secret
			fileOrder = append(fileOrder, l.name)
		}
	}
	var grants []grant
	var secrets []string
	add := func(name, secret string, e APIKeyEntry) error {
		if len(secret) < minKeyLen {
			return fmt.Errorf("key %q is shorter than %d bytes", name, minKeyLen)
		}
		for i, s := range secrets {
			if s == secret {
				return fmt.Errorf("keys %q and %q are the same", grants[i].subject, name)
			}
		}
		grants = append(grants, grant{subject: name, roles: e.Roles, permissions: e.Permissions})
		secrets = append(secrets, secret)
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Keys)) {
		e := cfg.Keys[name]
		secret, err := entrySecret(name, e, fromFile)
		if err != nil {
			return nil, nil, err
		}
		if err := add(name, secret, e); err != nil {
			return nil, nil, err
		}
	}
	for _, name := range fileOrder {
		if _, ok := cfg.Keys[name]; ok {
			continue
		}
		if err := add(name, fromFile[name], APIKeyEntry{}); err != nil {
			return nil, nil, err
		}
	}
	if len(secrets) == 0 {
		return nil, nil, errors.New("no keys: give keys or a file")
	}
	return grants, secrets, nil
}

// entrySecret returns the key of the entry named name, from wherever it
// comes.
func entrySecret(name string, e APIKeyEntry, fromFile map[string]string) (string, error) {
	inFile, hasFile := fromFile[name]
	switch {
	case e.Key != "" && e.Env != "", e.Key != "" && hasFile, e.Env != "" && hasFile:
		return "", fmt.Errorf("key %q comes from more than one of key, env and the key file", name)
	case e.Key != "":
		return e.Key, nil
	case e.Env != "":
		v, ok := os.LookupEnv(e.Env)
		if !ok || v == "" {
			return "", fmt.Errorf("key %q: environment variable %s is not set or empty", name, e.Env)
		}
		return v, nil
	case hasFile:
		return inFile, nil
	}
	return "", fmt.Errorf("key %q has no key, env or line in the key file", name)
}

// apiKey is the APIKey stage.
type apiKey struct {
	header, query string
	challenge     string
	optional      bool
	grants        []grant // by digest index
	digests       digests
	failures      *failures // nil: not limited
}

var _ actors.Stage = (*apiKey)(nil)

// Process authenticates the request or answers 401.
func (s *apiKey) Process(ex *actors.Exchange) error {
	if skip(ex) {
		return nil
	}
	key := ex.Request.Header.Get(s.header)
	if key == "" && s.query != "" {
		key = ex.Request.URL.Query().Get(s.query)
	}
	if key == "" {
		if s.optional {
			deferChallenge(ex, s.challenge)
			return nil
		}
		return unauthorized(ex, s.challenge, "an API key is required", errNoCredentials)
	}
	at, err := s.failures.check(ex)
	if err != nil {
		return err
	}
	i := s.digests.match(key)
	if i < 0 {
		at.failed()
		return unauthorized(ex, s.challenge, "the API key is not valid", errUnknownKey)
	}
	at.passed()
	principal.Key.Set(ex, s.grants[i].principal("api_key"))
	return nil
}

// errUnknownKey is the cause of a 401 for a key that matches none.
var errUnknownKey = errors.New("unknown API key")
