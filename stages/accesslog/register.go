package accesslog

import (
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// doc describes the kind access_log, for `server -kinds`.
const doc = "one log line per request, at Info on the app's logger, when the response is final: request_id, method, route, path, " +
	"status, bytes, duration, client_ip, user_agent (client strings escaped), and trace_id, span_id for a traced request. No options."

// Register adds the stage kind access_log to reg. Its stages write to the
// app's logger (config.Options.Logger), named "access":
//
//	stages:
//	  access-log:
//	    kind: access_log
//	global: [access-log, …]
func Register(reg *config.Registry) {
	reg.Register("access_log", config.Kind{
		Doc:      doc,
		Priority: Priority,
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var cfg Config
			if err := opts.Decode(&cfg); err != nil {
				return nil, err
			}
			cfg.Logger = opts.Logger().Named("access")
			return New(name, cfg)
		},
	})
}
