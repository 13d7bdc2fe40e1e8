package httpin

import (
	"crypto/tls"
	"errors"
	"net/http"
)

// ErrNoTLS is returned by Server.ReloadTLS when the listener has no TLS.
var ErrNoTLS = errors.New("ingress: TLS is not configured (server.tls)")

// setProtocols sets what the http.Server speaks, from s.cfg: HTTP/1.1, and
// HTTP/2 through ALPN with TLS, or cleartext with H2C. Its certificate is
// read here, so that a bad one fails Start.
func (s *Server) setProtocols() error {
	var p http.Protocols
	p.SetHTTP1(true)
	s.srv.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: s.cfg.MaxConcurrentStreams}
	switch {
	case s.cfg.TLS.Enabled():
		p.SetHTTP2(true)
		certs, err := NewCertReloader(s.cfg.TLS.CertFile, s.cfg.TLS.KeyFile)
		if err != nil {
			return err
		}
		tc, err := s.cfg.TLS.newTLSConfig(certs)
		if err != nil {
			return err
		}
		s.certs, s.srv.TLSConfig = certs, tc
	case s.cfg.H2C:
		p.SetUnencryptedHTTP2(true)
	}
	s.srv.Protocols = &p
	return nil
}

// ReloadTLS reads the listener's certificate and key files again (see
// CertReloader.Reload): new handshakes get the new pair once it returns
// nil; on an error the old pair stays. ErrNoTLS without Config.TLS. Safe
// to call at any time, from any goroutine.
func (s *Server) ReloadTLS() error {
	if s.certs == nil {
		return ErrNoTLS
	}
	return s.certs.Reload()
}

// Certificate returns the certificate pair the listener serves, or nil
// without TLS.
func (s *Server) Certificate() *tls.Certificate {
	if s.certs == nil {
		return nil
	}
	return s.certs.Certificate()
}
