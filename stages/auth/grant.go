package auth

import (
	"slices"

	"github.com/troupe-go/troupe/stages/principal"
)

// grant is what a stage grants one configured caller (an API key, a basic
// user): a template from which each request gets a principal of its own,
// so that a handler changing its principal changes no other request's.
type grant struct {
	subject     string
	roles       []string
	permissions []string
}

// principal returns a fresh principal for the grant, authenticated by
// method.
func (g grant) principal(method string) *principal.Principal {
	return &principal.Principal{
		Subject:     g.subject,
		Method:      method,
		Roles:       slices.Clone(g.roles),
		Permissions: slices.Clone(g.permissions),
	}
}
