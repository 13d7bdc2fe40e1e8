package cors

import "github.com/troupe-go/troupe/config"

// doc describes the kind cors and its options, for `server -kinds`.
const doc = "CORS: answers preflights with 204 (never reaching the handler) and lets allowed origins read responses. " +
	"Options: allowed_origins (required; exact origins like https://app.example.com, wildcard subdomains like https://*.example.com, " +
	"or \"*\" alone without credentials; never \"null\"), allowed_methods (default GET, HEAD, POST), " +
	"allowed_headers (request headers a preflight may ask for, e.g. Content-Type; \"*\" for any; default none), " +
	"exposed_headers (default none), allow_credentials (default false), max_age (duration in whole seconds, e.g. 10m; default unset)."

// Register adds the stage kind cors to reg:
//
//	stages:
//	  cors:
//	    kind: cors
//	    options:
//	      allowed_origins: [https://app.example.com, "https://*.example.com"]
//	      allowed_methods: [GET, PUT, DELETE]
//	      allowed_headers: [Content-Type, X-Api-Key]
//	      allow_credentials: true
//	      max_age: 10m
func Register(reg *config.Registry) {
	reg.Register("cors", config.StageKind(doc, Priority, New))
}
