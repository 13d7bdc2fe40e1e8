package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/principal"
)

// BasicConfig configures a Basic stage.
type BasicConfig struct {
	// Users are the accepted users by name, the name becoming the
	// principal's Subject. Names must not hold a colon. At least one.
	Users map[string]BasicUser `yaml:"users"`
	// Realm is the realm of the challenge. Defaults to DefaultRealm.
	Realm string `yaml:"realm"`
	// Optional lets a request without Basic credentials through
	// unauthenticated, for a later authentication stage or Require to deal
	// with. Wrong credentials are still answered 401.
	Optional bool `yaml:"optional"`
	// FailureLimit limits wrong or malformed credentials per client
	// address: by default, after 10 within a minute, 429 until the oldest
	// is a minute old. See FailureLimit.
	FailureLimit FailureLimit `yaml:"failure_limit"`
}

// BasicUser is one user of a Basic stage.
type BasicUser struct {
	// PasswordSHA256 is the SHA-256 digest of the user's password, in hex
	// (`printf %s "$PASSWORD" | sha256sum`). An unsalted fast hash is only
	// as strong as the password: use long random passwords.
	PasswordSHA256 string `yaml:"password_sha256"`
	// Roles and Permissions are the principal's.
	Roles       []string `yaml:"roles"`
	Permissions []string `yaml:"permissions"`
}

// Basic returns the Spec of a stage named name that authenticates requests
// by HTTP Basic authentication (RFC 7617; stateless, of priority
// Priority): on a match it sets the principal (Subject: the
// user name, Method "basic", the user's roles and permissions). Missing or
// wrong credentials are answered 401 with
// `WWW-Authenticate: Basic realm="…", charset="UTF-8"`.
//
//	basic, err := auth.Basic("basic", auth.BasicConfig{Users: map[string]auth.BasicUser{
//		"ops": {PasswordSHA256: "5e884898da28…", Roles: []string{"admin"}},
//	}})
//	if err != nil { … }
//	admin.Use(basic)
//
// Passwords are kept as SHA-256 digests, not bcrypt (golang.org/x/crypto is
// not a dependency). Name and password are checked against every user in
// constant time, so the time taken does not tell whether a user exists.
// Basic sends the password with every request: serve it over TLS only. A
// client address that has presented wrong or malformed credentials 10
// times within a minute is answered 429 instead, without its credentials
// being looked at, until the oldest of them is a minute old
// (BasicConfig.FailureLimit). The stage is safe for concurrent use.
// Errors begin with "basic_auth: ".
func Basic(name string, cfg BasicConfig) (*actors.Spec, error) {
	return spec(name, "basic_auth")(newBasic(cfg))
}

// newBasic returns the stage Basic declares.
func newBasic(cfg BasicConfig) (actors.Stage, error) {
	r, err := realm(cfg.Realm)
	if err != nil {
		return nil, err
	}
	s := &basic{challenge: `Basic realm="` + r + `", charset="UTF-8"`, optional: cfg.Optional}
	if len(cfg.Users) == 0 {
		return nil, errors.New("no users")
	}
	if s.failures, err = newFailures(cfg.FailureLimit); err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Users)) {
		u := cfg.Users[name]
		if name == "" || strings.ContainsAny(name, ":") {
			return nil, fmt.Errorf("user name %q must be non-empty and hold no colon", name)
		}
		sum, err := hex.DecodeString(u.PasswordSHA256)
		if err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("user %q: password_sha256 must be 64 hex digits", name)
		}
		s.users = append(s.users, basicUser{
			name:     sha256.Sum256([]byte(name)),
			password: [sha256.Size]byte(sum),
			grant:    grant{subject: name, roles: u.Roles, permissions: u.Permissions},
		})
	}
	return s, nil
}

// basic is the Basic stage.
type basic struct {
	challenge string
	optional  bool
	users     []basicUser
	failures  *failures // nil: not limited
}

// basicUser is a user as the stage keeps it: digests of name and password.
type basicUser struct {
	name, password [sha256.Size]byte
	grant          grant
}

var _ actors.Stage = (*basic)(nil)

// Process authenticates the request or answers 401.
func (s *basic) Process(ex *actors.Exchange) error {
	if skip(ex) {
		return nil
	}
	name, password, ok := ex.Request.BasicAuth()
	if !ok {
		scheme, _, _ := strings.Cut(ex.Request.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Basic") {
			if s.optional {
				deferChallenge(ex, s.challenge)
				return nil
			}
			return unauthorized(ex, s.challenge, "credentials are required", errNoCredentials)
		}
	}
	at, err := s.failures.check(ex)
	if err != nil {
		return err
	}
	if !ok {
		at.failed()
		return unauthorized(ex, s.challenge, "the Basic credentials are malformed", errMalformedBasic)
	}
	i := s.match(name, password)
	if i < 0 {
		at.failed()
		return unauthorized(ex, s.challenge, "the user name or password is not valid", errBadPassword)
	}
	at.passed()
	principal.Key.Set(ex, s.users[i].grant.principal("basic"))
	return nil
}

// match returns the index of the user with name and password, or -1,
// comparing with every user.
func (s *basic) match(name, password string) int {
	n, p := sha256.Sum256([]byte(name)), sha256.Sum256([]byte(password))
	found := -1
	for i := range s.users {
		eq := subtle.ConstantTimeCompare(n[:], s.users[i].name[:]) & subtle.ConstantTimeCompare(p[:], s.users[i].password[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	return found
}

var (
	errMalformedBasic = errors.New("malformed Basic credentials")
	errBadPassword    = errors.New("unknown user or wrong password")
)
