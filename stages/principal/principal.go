// Package principal is who a request acts for, as established by an
// authentication stage and read by authorisation, rate limiting and
// handlers.
package principal

import "github.com/troupe-go/troupe/actors"

// Principal is an authenticated caller.
type Principal struct {
	// Subject identifies the caller: the JWT "sub", the API key's name, or
	// the basic-auth user name.
	Subject string
	// Method is how the caller authenticated: "api_key", "jwt" or "basic".
	Method string
	// Roles and Permissions are what the caller may do, for RBAC.
	Roles       []string
	Permissions []string
	// Claims are the token's claims, for JWT; nil otherwise.
	Claims map[string]any
}

// Key is where authentication stages store the principal.
var Key = actors.NewKey[*Principal]("principal")

// From returns the request's principal, or nil if no stage authenticated
// it.
func From(ex *actors.Exchange) *Principal {
	p, _ := Key.Get(ex)
	return p
}
