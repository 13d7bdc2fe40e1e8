package auth

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/principal"
)

// RequireConfig says what a Require stage demands of the principal. Every
// rule given must hold; the zero value demands only that the request be
// authenticated.
type RequireConfig struct {
	// AnyOfRoles, when set, demands at least one of these roles.
	AnyOfRoles []string `yaml:"any_of_roles"`
	// AllOfPermissions, when set, demands every one of these permissions.
	AllOfPermissions []string `yaml:"all_of_permissions"`
	// OwnerParam, when set, names a path parameter the principal must own:
	// its Subject (or OwnerClaim) must equal the parameter's value, which
	// must not be empty.
	OwnerParam string `yaml:"owner_param"`
	// OwnerClaim names the claim compared with OwnerParam instead of the
	// Subject: a string, or an integer. Only JWT principals carry claims.
	OwnerClaim string `yaml:"owner_claim"`
}

// Require returns the Spec of a stage named name that authorises requests
// (stateless, of priority Priority): one without a principal is answered
// 401, one whose principal breaks a rule of cfg 403. Declare it after the
// stages that authenticate (same priority, later in the route's stage list
// or on an inner group).
//
//	own, err := auth.Require("own-orders", auth.RequireConfig{AnyOfRoles: []string{"user"}, OwnerParam: "id"})
//	if err != nil { … }
//	app.GET("/users/{id}/orders", orders).With(own)
//
// Its 401 carries the WWW-Authenticate challenges of the optional
// authentication stages that let the request through; with none, it has no
// challenge. The problem details name no rule; the cause, for logs, does.
// The stage is safe for concurrent use. Errors begin with "require: ".
func Require(name string, cfg RequireConfig) (*actors.Spec, error) {
	return spec(name, "require")(newRequire(cfg))
}

// newRequire returns the stage Require declares.
func newRequire(cfg RequireConfig) (actors.Stage, error) {
	if slices.Contains(cfg.AnyOfRoles, "") || slices.Contains(cfg.AllOfPermissions, "") {
		return nil, errors.New("roles and permissions must not be empty strings")
	}
	if cfg.OwnerClaim != "" && cfg.OwnerParam == "" {
		return nil, errors.New("owner_claim needs owner_param")
	}
	return &require{cfg: cfg}, nil
}

// require is the Require stage.
type require struct{ cfg RequireConfig }

var _ actors.Stage = (*require)(nil)

// Process lets an authorised request through, or answers 401 or 403.
func (s *require) Process(ex *actors.Exchange) error {
	if ex.Preflight() {
		return nil
	}
	p := principal.From(ex)
	if p == nil {
		if cs, _ := challengesKey.Get(ex); len(cs) > 0 {
			h := ex.Response.Header()
			h.Del("WWW-Authenticate")
			for _, c := range cs {
				h.Add("WWW-Authenticate", c)
			}
		}
		return &actors.Error{Status: http.StatusUnauthorized, Detail: "authentication is required", Err: errNoCredentials}
	}
	if err := s.check(ex, p); err != nil {
		return &actors.Error{Status: http.StatusForbidden, Detail: "the caller may not do this", Err: err}
	}
	return nil
}

// check returns why p may not go on, or nil.
func (s *require) check(ex *actors.Exchange, p *principal.Principal) error {
	c := s.cfg
	if len(c.AnyOfRoles) > 0 && !slices.ContainsFunc(c.AnyOfRoles, func(r string) bool { return slices.Contains(p.Roles, r) }) {
		return fmt.Errorf("%q has none of the roles %q", p.Subject, c.AnyOfRoles)
	}
	for _, perm := range c.AllOfPermissions {
		if !slices.Contains(p.Permissions, perm) {
			return fmt.Errorf("%q lacks the permission %q", p.Subject, perm)
		}
	}
	if c.OwnerParam != "" {
		want := ex.Params.Get(c.OwnerParam)
		owner := p.Subject
		if c.OwnerClaim != "" {
			owner = claimString(p.Claims[c.OwnerClaim])
		}
		if want == "" || owner != want {
			return fmt.Errorf("%q does not own %s %q", p.Subject, c.OwnerParam, want)
		}
	}
	return nil
}

// claimString returns a claim that identifies an owner as a string: a
// string as is, an integral JSON number in decimal; "" for anything else.
func claimString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return strconv.FormatInt(int64(v), 10)
		}
	}
	return ""
}
