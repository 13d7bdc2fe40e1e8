package auth

import "github.com/troupe-go/troupe/config"

// Register adds the kinds api_key, jwt, basic_auth and require to reg, all
// stateless stages of priority auth. Their options are the yaml keys of
// APIKeyConfig, JWTConfig, BasicConfig and RequireConfig:
//
//	stages:
//	  api-key:
//	    kind: api_key
//	    options:
//	      query: api_key
//	      keys:
//	        ci: {env: CI_API_KEY, roles: [deployer]}
//	      failure_limit: {failures: 10, window: 1m} # the default
//	  admin-only:
//	    kind: require
//	    options: {any_of_roles: [admin]}
func Register(reg *config.Registry) {
	reg.Register("api_key", config.StageKind("authenticates by API key from a header or query parameter (401 ApiKey challenge). Options: header (default X-API-Key), query, "+
		"keys (name → {key | env, roles, permissions}), file (name:key lines), realm, optional, "+failureLimitDoc+".",
		Priority, APIKey))
	reg.Register("jwt", config.StageKind("authenticates by bearer JWT, HS256/RS256/ES256 pinned per key (401 Bearer challenge). Options: keys (kid → {alg, secret | secret_env | "+
		"public_key | public_key_file}), jwks_file, issuer, audiences, leeway, allow_missing_exp, max_token_bytes (default 8192), "+
		"roles_claim (default roles), permissions_claim (default permissions), realm, optional, "+failureLimitDoc+
		" (counts tokens whose signature does not verify).",
		Priority, JWT))
	reg.Register("basic_auth", config.StageKind("authenticates by HTTP Basic (401 Basic challenge). Options: users (name → {password_sha256, roles, permissions}), realm, optional, "+
		failureLimitDoc+".",
		Priority, Basic))
	reg.Register("require", config.StageKind("authorises the authenticated principal: 401 without one, 403 if a rule fails; declare it after the authentication stage. "+
		"Options: any_of_roles, all_of_permissions, owner_param, owner_claim.",
		Priority, Require))
}

// failureLimitDoc documents the option failure_limit of the kinds that
// authenticate.
const failureLimitDoc = "failure_limit: {failures (default 10), window (default 1m), max_clients (default 65536), " +
	"ipv6_prefix (default 64), disabled} — a client address that has presented refused credentials failures times within window " +
	"gets 429 with Retry-After until the oldest of them is window old"
