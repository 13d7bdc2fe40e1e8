// Package clientip is the stage that works out the client's address: the
// connection's peer, unless that peer is a trusted proxy, in which case the
// right-most address in X-Forwarded-For (or Forwarded) that is not itself a
// trusted proxy. Headers from an untrusted peer are ignored, so a client
// cannot choose its own address.
//
//	spec, err := clientip.New("client-ip", clientip.Config{TrustedProxies: []string{"10.0.0.0/8"}})
//	if err != nil { … }
//	app.Use(spec)
//
// Later stages read the result with clientip.From(ex). Without this stage,
// From returns the connection's peer.
package clientip

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/troupe-go/troupe/actors"
)

// Config configures the stage.
type Config struct {
	// TrustedProxies are the CIDRs (or single addresses) of proxies whose
	// forwarding headers are believed. Empty: none, the peer is the client.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

var key = actors.NewKey[netip.Addr]("client-ip")

// From returns the client's address: what the stage worked out, or the
// connection's peer when the stage did not run. It is the zero Addr if the
// peer address cannot be parsed.
func From(ex *actors.Exchange) netip.Addr {
	if a, ok := key.Get(ex); ok {
		return a
	}
	return peer(ex)
}

func peer(ex *actors.Exchange) netip.Addr {
	ap, err := netip.ParseAddrPort(ex.Request.RemoteAddr)
	if err != nil {
		a, _ := netip.ParseAddr(ex.Request.RemoteAddr)
		return a.Unmap()
	}
	return ap.Addr().Unmap()
}

// Priority is the priority of a client_ip stage: actors.Global, so that
// every later stage sees the client's address.
const Priority = actors.Global

// New returns the Spec of a client_ip stage named name: stateless, of
// priority Priority. It fails for a trusted proxy that is neither a CIDR
// nor an address.
func New(name string, cfg Config) (*actors.Spec, error) {
	s, err := newStage(cfg)
	if err != nil {
		return nil, fmt.Errorf("client_ip: %w", err)
	}
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: Priority, Stage: s}, nil
}

// newStage returns the stage cfg describes, or an error for a bad CIDR.
func newStage(cfg Config) (actors.Stage, error) {
	var trusted []netip.Prefix
	for _, s := range cfg.TrustedProxies {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("trusted proxy %q is neither a CIDR nor an address", s)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		trusted = append(trusted, p.Masked())
	}
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return actors.StageFunc(func(ex *actors.Exchange) error {
		addr := peer(ex)
		if isTrusted(addr) {
			for _, hop := range forwarded(ex) {
				if !isTrusted(hop) {
					addr = hop
					break
				}
				addr = hop
			}
		}
		key.Set(ex, addr)
		return nil
	}), nil
}

// forwarded returns the addresses of X-Forwarded-For, or else of
// Forwarded's for= parameters, right-most (nearest) first. Unparseable
// entries end the list: nothing beyond them can be trusted.
func forwarded(ex *actors.Exchange) []netip.Addr {
	var raw []string
	h := ex.Request.Header
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, line := range xff {
			raw = append(raw, strings.Split(line, ",")...)
		}
	} else {
		for _, line := range h.Values("Forwarded") {
			for _, elem := range strings.Split(line, ",") {
				for _, pair := range strings.Split(elem, ";") {
					k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if ok && strings.EqualFold(k, "for") {
						raw = append(raw, strings.Trim(v, `"`))
					}
				}
			}
		}
	}
	out := make([]netip.Addr, 0, len(raw))
	for i := len(raw) - 1; i >= 0; i-- {
		s := strings.TrimSpace(raw[i])
		if host, _, err := net.SplitHostPort(s); err == nil {
			s = host
		}
		a, err := netip.ParseAddr(strings.Trim(s, "[]"))
		if err != nil {
			break
		}
		out = append(out, a.Unmap())
	}
	return out
}
