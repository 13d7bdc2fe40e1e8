package troupe

import (
	"crypto/tls"
	"errors"
)

// ErrNotStarted is returned by ReloadTLS before Start.
var ErrNotStarted = errors.New("troupe: the app is not started")

// ReloadTLS reads the listener's certificate and key files
// (Config.HTTP.TLS) again and serves the new pair to new connections. If
// they are bad, the old pair stays and the error says why. It returns
// httpin.ErrNoTLS when the listener has no TLS, ErrNotStarted before
// Start. Call it on SIGHUP, or from an admin endpoint, after Start; it is
// safe for concurrent use.
func (a *App) ReloadTLS() error {
	if a.server == nil {
		return ErrNotStarted
	}
	return a.server.ReloadTLS()
}

// Certificate returns the certificate pair the listener serves (its Leaf
// parsed), or nil without TLS or before Start.
func (a *App) Certificate() *tls.Certificate {
	if a.server == nil {
		return nil
	}
	return a.server.Certificate()
}
