package maintenance

import (
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

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
	reg.Register("maintenance", config.Kind{
		Doc: "when on, 503 with Retry-After and a message, except for allowed path prefixes; switched by PUT /maintenance/NAME " +
			`{"enabled":true,"retry_after":"30s","message":"…"} on the admin listener (GET reads it). ` +
			"Options: enabled (default false), retry_after (default 60s), message, allow (path prefixes).",
		Priority: actors.Global,
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var cfg Config
			if err := opts.Decode(&cfg); err != nil {
				return nil, err
			}
			st, err := New(name, cfg)
			if err != nil {
				return nil, opts.Errorf("%v", err)
			}
			return &actors.Spec{Kind: actors.Stateless, Priority: actors.Global, Stage: st}, nil
		},
	})
}
