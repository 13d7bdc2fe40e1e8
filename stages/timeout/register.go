package timeout

import (
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

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
	reg.Register("timeout", config.Kind{
		Doc: "lowers the request's deadline to its start plus timeout (the shortest deadline wins); past it 504. " +
			"Options: timeout (required).",
		Priority: actors.Global,
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var cfg Config
			if err := opts.Decode(&cfg); err != nil {
				return nil, err
			}
			st, err := New(cfg)
			if err != nil {
				return nil, opts.Errorf("%v", err)
			}
			return &actors.Spec{Kind: actors.Stateless, Priority: actors.Global, Stage: st}, nil
		},
	})
}
