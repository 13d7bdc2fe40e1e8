package timing

import "github.com/troupe-go/troupe/config"

// Register adds the kind server_timing (no options) to reg.
func Register(reg *config.Registry) {
	reg.Register("server_timing", config.StageKind("Server-Timing header with each later stage's duration and the total, in ms. No options.", Priority, New))
}
