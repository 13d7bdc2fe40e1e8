// Package auth holds the authentication and authorisation stages: API keys
// (APIKey), bearer JWTs (JWT), HTTP Basic (Basic) and role, permission and
// ownership checks (Require). The first three establish a
// principal.Principal; Require reads it.
//
//	keys, err := auth.APIKey("api-key", auth.APIKeyConfig{Keys: map[string]auth.APIKeyEntry{
//		"ci": {Env: "CI_API_KEY", Roles: []string{"deployer"}},
//	}})
//	if err != nil { … }
//	admin, err := auth.Require("admin-only", auth.RequireConfig{AnyOfRoles: []string{"admin"}})
//	if err != nil { … }
//	app.Use(keys)
//	admins := app.Group("/admin", admin)
//
// Each constructor returns the stage's *actors.Spec. All the stages are
// stateless (shared by every request; the only state they keep between
// requests is the failure table below, behind its own locks) and have
// priority Priority, actors.Auth. Within one priority stages run in the order
// they are declared (global, then groups from the outermost, then the
// route's own), so declare Require after the stage that authenticates.
//
// Failures never leak why: a client gets 401 with a WWW-Authenticate
// challenge (RFC 9110 §11.6.1) or 403, with a fixed problem+json detail;
// the reason is in the error's cause, for logs. Keys and passwords are
// compared as SHA-256 digests in constant time.
//
// Guessing is limited: APIKey, Basic and JWT each count the failed
// attempts of every client address (clientip.From, so a forged
// X-Forwarded-For counts only through trusted proxies), and by default
// answer an address that has failed 10 times within the last minute with
// 429, Retry-After and a problem+json body, without looking at its
// credentials, until the oldest of those failures is a minute old. A
// request without credentials is no failure, and an authenticated one does
// not wipe its address's failures. See FailureLimit for the options, the
// memory bound and what happens at it.
//
// Several authentication stages may share a route: each one that finds a
// principal already set lets the exchange through untouched, and one
// declared Optional lets a request without its credentials through
// unauthenticated (Require then answers 401 with the challenges of the
// optional stages that were skipped). CORS preflights pass every stage of
// this package untouched: browsers send them without credentials, and they
// never reach a handler.
//
// Register makes the stages available to the YAML configuration as the
// kinds api_key, jwt, basic_auth and require.
package auth
