package envelope

import (
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// Register adds the stage kind envelope to reg.
//
//	stages:
//	  envelope: {kind: envelope}
//	groups:
//	  - prefix: /api
//	    stages: [envelope]
func Register(reg *config.Registry) {
	reg.Register("envelope", config.Kind{
		Doc: `wraps JSON responses as {"data": …, "error": null, "request_id": …} and problem+json ones as ` +
			`{"data": null, "error": …, "request_id": …}; status unchanged, other bodies untouched. ` +
			"Global by default, so that it also wraps the errors of the stages after it. No options.",
		Priority: actors.Global,
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var none struct{}
			if err := opts.Decode(&none); err != nil {
				return nil, err
			}
			return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: actors.Global, Stage: New()}, nil
		},
	})
}
