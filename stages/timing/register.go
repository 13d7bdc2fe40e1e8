package timing

import (
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// Register adds the kind server_timing (no options) to reg.
func Register(reg *config.Registry) {
	reg.Register("server_timing", config.Kind{
		Doc:      "Server-Timing header with each later stage's duration and the total, in ms. No options.",
		Priority: actors.Global,
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var none struct{}
			if err := opts.Decode(&none); err != nil {
				return nil, err
			}
			return &actors.Spec{Kind: actors.Stateless, Stage: New()}, nil
		},
	})
}
