package throttle

import "github.com/troupe-go/troupe/config"

// Register adds the stage kind throttle to reg: a Stateless stage of
// priority global whose options are the yaml keys of Config.
//
//	stages:
//	  reports-throttle:
//	    kind: throttle
//	    options: {limit: 100, backlog: 200, backlog_timeout: 2s}
func Register(reg *config.Registry) {
	reg.Register("throttle", config.StageKind("at most limit requests in the rest of the pipeline at once; up to backlog more wait, each at most backlog_timeout; "+
		"past that 503 with Retry-After. Runs limit + backlog actors. Options: limit (required), backlog (default 0), "+
		"backlog_timeout (default: the request's deadline), retry_after (default 1s).", Priority, New))
}
