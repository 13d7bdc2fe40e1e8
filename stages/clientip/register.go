package clientip

import "github.com/troupe-go/troupe/config"

// Register adds the kind client_ip to reg.
func Register(reg *config.Registry) {
	reg.Register("client_ip", config.StageKind("works out the client's address: the peer, or through trusted proxies X-Forwarded-For / Forwarded. "+
		"Options: trusted_proxies (CIDRs or addresses; default none).", Priority, New))
}
