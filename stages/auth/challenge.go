package auth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/principal"
)

// DefaultRealm is the realm of the challenges of a stage whose
// configuration leaves Realm empty.
const DefaultRealm = "troupe"

// challengesKey holds the challenges of the optional stages that let a
// request through without credentials, for Require's 401.
var challengesKey = actors.NewKey[[]string]("auth-challenges")

// realm returns r, or DefaultRealm if r is empty, or an error if r cannot
// be a quoted-string (RFC 9110 §5.6.4) in a challenge.
func realm(r string) (string, error) {
	if r == "" {
		return DefaultRealm, nil
	}
	if strings.ContainsFunc(r, func(c rune) bool { return c < ' ' || c == 0x7f || c == '"' || c == '\\' }) {
		return "", fmt.Errorf("realm %q must not hold quotes, backslashes or control characters", r)
	}
	return r, nil
}

// unauthorized sets the WWW-Authenticate challenge and returns the 401
// error; Exchange.Fail keeps the header. cause is for logs only.
func unauthorized(ex *actors.Exchange, challenge, detail string, cause error) error {
	ex.Response.Header().Set("WWW-Authenticate", challenge)
	return &actors.Error{Status: http.StatusUnauthorized, Detail: detail, Err: cause}
}

// skip reports whether an authentication stage should let ex through
// untouched: a CORS preflight, or a request an earlier stage has already
// authenticated.
func skip(ex *actors.Exchange) bool {
	return ex.Preflight() || principal.From(ex) != nil
}

// deferChallenge records the challenge of an optional stage that let ex
// through without credentials.
func deferChallenge(ex *actors.Exchange, challenge string) {
	cs, _ := challengesKey.Get(ex)
	challengesKey.Set(ex, append(cs, challenge))
}

// errNoCredentials is the cause of a 401 for a request that presented no
// credentials at all.
var errNoCredentials = errors.New("no credentials")
