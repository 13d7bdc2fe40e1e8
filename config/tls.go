package config

import (
	"crypto/tls"
	"os"
	"strings"

	"github.com/troupe-go/troupe/httpin"
	"go.yaml.in/yaml/v3"
)

// tlsVersions are the values of server.tls.min_version.
var tlsVersions = map[string]uint16{"1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

// clientAuths are the values of server.tls.client_auth.
var clientAuths = map[string]tls.ClientAuthType{
	"none": tls.NoClientCert, "verify_if_given": tls.VerifyClientCertIfGiven, "require": tls.RequireAndVerifyClientCert,
}

// tls reads server.tls: the listener's certificate, read here so that a
// bad file is reported at its key's line, the oldest TLS version, and
// client certificates.
func (p *parser) tls(n *yaml.Node) {
	c := &p.cfg.App.HTTP.TLS
	f := p.fields(n, "server.tls", "cert_file", "key_file", "min_version", "client_auth", "client_ca_file")
	c.CertFile, _ = p.str(f.get("cert_file"), "server.tls.cert_file")
	c.KeyFile, _ = p.str(f.get("key_file"), "server.tls.key_file")
	c.ClientCAFile, _ = p.str(f.get("client_ca_file"), "server.tls.client_ca_file")
	switch {
	case c.CertFile == "":
		p.errorf(n, "server.tls: cert_file is required")
	case c.KeyFile == "":
		p.errorf(n, "server.tls: key_file is required")
	default:
		p.keyPair(c.CertFile, c.KeyFile, f.get("cert_file"), f.get("key_file"))
	}
	if s, ok := p.str(f.get("min_version"), "server.tls.min_version"); ok && s != "" {
		if v, known := tlsVersions[s]; known {
			c.MinVersion = v
		} else {
			p.errorf(f.get("min_version"), "server.tls.min_version: %q is not 1.2 or 1.3", s)
		}
	}
	if s, ok := p.str(f.get("client_auth"), "server.tls.client_auth"); ok && s != "" {
		if v, known := clientAuths[s]; known {
			c.ClientAuth = v
		} else {
			p.errorf(f.get("client_auth"), "server.tls.client_auth: unknown value %q (want none, verify_if_given or require)", s)
		}
	}
	switch {
	case c.ClientAuth != tls.NoClientCert && c.ClientCAFile == "":
		p.errorf(f.get("client_auth"), "server.tls.client_auth: %s verifies client certificates against client_ca_file, which is not set", f.get("client_auth").Value)
	case c.ClientAuth == tls.NoClientCert && c.ClientCAFile != "":
		p.errorf(f.get("client_ca_file"), "server.tls.client_ca_file: set, but client_auth is none: set client_auth to verify_if_given or require")
	case c.ClientCAFile != "":
		if _, err := httpin.LoadCertPool(c.ClientCAFile); err != nil {
			p.errorf(f.get("client_ca_file"), "server.tls.client_ca_file: %v", err)
		}
	}
}

// keyPair reports, at the line of the key at fault, a certificate or key
// file that cannot be read, or that do not make a pair.
func (p *parser) keyPair(certFile, keyFile string, certNode, keyNode *yaml.Node) {
	certPEM, certErr := os.ReadFile(certFile)
	if certErr != nil {
		p.errorf(certNode, "server.tls.cert_file: %v", certErr)
	}
	keyPEM, keyErr := os.ReadFile(keyFile)
	if keyErr != nil {
		p.errorf(keyNode, "server.tls.key_file: %v", keyErr)
	}
	if certErr != nil || keyErr != nil {
		return
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		at, key := certNode, "cert_file"
		if strings.Contains(err.Error(), "key input") { // the key file holds no key
			at, key = keyNode, "key_file"
		}
		p.errorf(at, "server.tls.%s: %s with %s: %s", key, certFile, keyFile, strings.TrimPrefix(err.Error(), "tls: "))
	}
}
