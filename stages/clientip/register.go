package clientip

import (
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// Register adds the kind client_ip to reg.
func Register(reg *config.Registry) {
	reg.Register("client_ip", config.Kind{
		Doc: "works out the client's address: the peer, or through trusted proxies X-Forwarded-For / Forwarded. " +
			"Options: trusted_proxies (CIDRs or addresses; default none).",
		Priority: actors.Global,
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var cfg Config
			if err := opts.Decode(&cfg); err != nil {
				return nil, err
			}
			st, err := New(cfg)
			if err != nil {
				return nil, opts.Errorf("client_ip: %v", err)
			}
			return &actors.Spec{Kind: actors.Pure, Stage: st}, nil
		},
	})
}
