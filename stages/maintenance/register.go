package maintenance

import "github.com/troupe-go/troupe/config"

// Register adds the stage kind maintenance to reg: a stateless stage of
// priority global whose options are the yaml keys of Config. The
// configuration's Build mounts its admin routes, PUT and GET
// /maintenance/NAME.
//
//	stages:
//	  maintenance:
//	    kind: maintenance
//	    options:
//	      enabled: false
//	      retry_after: 5m
//	      message: back soon
//	      allow: [/status]
func Register(reg *config.Registry) {
	reg.Register("maintenance", config.StageKind("when on, 503 with Retry-After and a message, except for allowed path prefixes; switched by PUT /maintenance/NAME "+
		`{"enabled":true,"retry_after":"30s","message":"…"} on the admin listener (GET reads it). `+
		"Options: enabled (default false), retry_after (default 60s), message, allow (path prefixes).",
		Priority, New))
}
