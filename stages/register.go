package stages

import (
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages/accesslog"
	"github.com/troupe-go/troupe/stages/auth"
	"github.com/troupe-go/troupe/stages/breaker"
	"github.com/troupe-go/troupe/stages/cache"
	"github.com/troupe-go/troupe/stages/clientip"
	"github.com/troupe-go/troupe/stages/compress"
	"github.com/troupe-go/troupe/stages/cors"
	"github.com/troupe-go/troupe/stages/envelope"
	"github.com/troupe-go/troupe/stages/maintenance"
	"github.com/troupe-go/troupe/stages/ratelimit"
	"github.com/troupe-go/troupe/stages/secheaders"
	"github.com/troupe-go/troupe/stages/throttle"
	"github.com/troupe-go/troupe/stages/timeout"
	"github.com/troupe-go/troupe/stages/timing"
	"github.com/troupe-go/troupe/stages/validate"
)

// Register adds every built-in stage kind to reg, so that a configuration
// can name them. `server -kinds` lists them with their options.
func Register(reg *config.Registry) {
	accesslog.Register(reg)
	auth.Register(reg)
	breaker.Register(reg)
	cache.Register(reg)
	clientip.Register(reg)
	compress.Register(reg)
	cors.Register(reg)
	envelope.Register(reg)
	maintenance.Register(reg)
	ratelimit.Register(reg)
	secheaders.Register(reg)
	throttle.Register(reg)
	timeout.Register(reg)
	timing.Register(reg)
	validate.Register(reg)
}
