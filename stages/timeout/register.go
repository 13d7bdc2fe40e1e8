package timeout

import "github.com/troupe-go/troupe/config"

// Register adds the stage kind timeout to reg: a stateless stage of priority
// global whose option is the yaml key of Config.
//
//	stages:
//	  search-timeout:
//	    kind: timeout
//	    options: {timeout: 800ms}
//	groups:
//	  - prefix: /search
//	    stages: [search-timeout]
func Register(reg *config.Registry) {
	reg.Register("timeout", config.StageKind("lowers the request's deadline to its start plus timeout (the shortest deadline wins); past it 504. "+
		"Options: timeout (required).",
		Priority, New))
}
