package httpin

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSConfig is the listener's TLS. It is on when CertFile is set; then the
// listener serves HTTPS only, HTTP/2 (ALPN "h2") and HTTP/1.1.
type TLSConfig struct {
	// CertFile is the PEM file of the certificate chain, leaf first.
	// Paths are relative to the working directory.
	CertFile string
	// KeyFile is the PEM file of the certificate's private key. Required
	// with CertFile.
	KeyFile string
	// MinVersion is the oldest TLS version accepted: tls.VersionTLS12 (the
	// default) or tls.VersionTLS13.
	MinVersion uint16
	// ClientAuth asks clients for a certificate: tls.NoClientCert (the
	// default: none is asked for), tls.VerifyClientCertIfGiven (a client
	// may present one, which must then verify against ClientCAFile) or
	// tls.RequireAndVerifyClientCert (every client must present one that
	// verifies). Handlers see it in Request.TLS.
	ClientAuth tls.ClientAuthType
	// ClientCAFile is the PEM file of the CAs that client certificates
	// must chain to. Required with a ClientAuth that verifies; read at
	// start only.
	ClientCAFile string
}

// Enabled reports whether TLS is configured: a certificate or key is
// named.
func (c TLSConfig) Enabled() bool { return c.CertFile != "" || c.KeyFile != "" }

// validate reports what is wrong with c, without reading its files.
func (c TLSConfig) validate() error {
	if !c.Enabled() {
		if c.ClientAuth != tls.NoClientCert || c.ClientCAFile != "" {
			return errors.New("tls: client_auth and client_ca_file need cert_file and key_file")
		}
		return nil
	}
	var errs []error
	if c.CertFile == "" || c.KeyFile == "" {
		errs = append(errs, errors.New("tls: cert_file and key_file go together"))
	}
	switch c.MinVersion {
	case 0, tls.VersionTLS12, tls.VersionTLS13:
	default:
		errs = append(errs, fmt.Errorf("tls: min_version must be 1.2 or 1.3, got %s", tls.VersionName(c.MinVersion)))
	}
	switch c.ClientAuth {
	case tls.NoClientCert:
		if c.ClientCAFile != "" {
			errs = append(errs, errors.New("tls: client_ca_file is set but client_auth is none"))
		}
	case tls.VerifyClientCertIfGiven, tls.RequireAndVerifyClientCert:
		if c.ClientCAFile == "" {
			errs = append(errs, errors.New("tls: client_auth verifies client certificates against client_ca_file, which is not set"))
		}
	default:
		errs = append(errs, fmt.Errorf("tls: client_auth must be none, verify_if_given or require, got %s", c.ClientAuth))
	}
	return errors.Join(errs...)
}

// LoadCertPool reads a PEM file of CA certificates into a pool; a file
// with no certificate in it is an error.
func LoadCertPool(file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s: no PEM certificate in it", file)
	}
	return pool, nil
}

// newTLSConfig returns the tls.Config of c, with its certificate served
// from certs, and reads ClientCAFile.
func (c TLSConfig) newTLSConfig(certs *CertReloader) (*tls.Config, error) {
	tc := &tls.Config{
		MinVersion:     c.MinVersion,
		GetCertificate: certs.GetCertificate,
		ClientAuth:     c.ClientAuth,
	}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	if c.ClientCAFile != "" {
		pool, err := LoadCertPool(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: client_ca_file: %w", err)
		}
		tc.ClientCAs = pool
	}
	return tc, nil
}
