package config_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe/config"
)

// writeCert writes a self-signed certificate and its key as PEM files in
// dir, named NAME.crt and NAME.key, and returns their paths.
func writeCert(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestParseServerTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir, "server")
	ca, _ := writeCert(t, dir, "clients")
	give := "server:\n  tls:\n    cert_file: " + cert + "\n    key_file: " + key +
		"\n    min_version: \"1.3\"\n    client_auth: verify_if_given\n    client_ca_file: " + ca +
		"\n  max_concurrent_streams: 50\nroutes: [{method: GET, path: /, handler: ok}]\n"
	cfg, err := config.Parse("tls.yaml", []byte(give), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.App.HTTP.TLS
	if c.CertFile != cert || c.KeyFile != key || c.MinVersion != tls.VersionTLS13 ||
		c.ClientAuth != tls.VerifyClientCertIfGiven || c.ClientCAFile != ca || cfg.App.HTTP.MaxConcurrentStreams != 50 {
		t.Errorf("server.tls parsed into %+v, max_concurrent_streams %d", c, cfg.App.HTTP.MaxConcurrentStreams)
	}
	if err := cfg.App.HTTP.Validate(); err != nil {
		t.Errorf("the parsed config does not validate: %v", err)
	}
}

func TestParseServerH2C(t *testing.T) {
	cfg, err := config.Parse("h2c.yaml", []byte("server: {h2c: true}\nroutes: [{method: GET, path: /, handler: ok}]\n"), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if h := cfg.App.HTTP; !h.H2C || h.TLS.Enabled() {
		t.Errorf("server.h2c parsed into H2C %v, TLS %+v", h.H2C, h.TLS)
	}
}

func TestParseServerTLSErrors(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir, "server")
	otherCert, _ := writeCert(t, dir, "other")
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	tlsOf := func(lines ...string) string {
		return "server:\n  tls:\n    " + strings.Join(lines, "\n    ") + "\n"
	}
	tests := []struct{ give, want string }{
		{tlsOf("cert_file: "+missing, "key_file: "+key), "tls.yaml:3: server.tls.cert_file: open " + missing},
		{tlsOf("cert_file: "+cert, "key_file: "+missing), "tls.yaml:4: server.tls.key_file: open " + missing},
		{tlsOf("cert_file: "+cert, "key_file: "+junk), "tls.yaml:4: server.tls.key_file: " + cert + " with " + junk + ": failed to find any PEM data in key input"},
		{tlsOf("cert_file: "+junk, "key_file: "+key), "tls.yaml:3: server.tls.cert_file: " + junk + " with " + key + ": failed to find any PEM data in certificate input"},
		{tlsOf("cert_file: "+otherCert, "key_file: "+key), "tls.yaml:3: server.tls.cert_file: " + otherCert + " with " + key + ": private key does not match public key"},
		{tlsOf("cert_file: " + cert), "tls.yaml:3: server.tls: key_file is required"},
		{tlsOf("key_file: " + key), "tls.yaml:3: server.tls: cert_file is required"},
		{tlsOf("cert_file: "+cert, "key_file: "+key, "min_version: \"1.1\""), `tls.yaml:5: server.tls.min_version: "1.1" is not 1.2 or 1.3`},
		{tlsOf("cert_file: "+cert, "key_file: "+key, "client_auth: maybe"), `tls.yaml:5: server.tls.client_auth: unknown value "maybe" (want none, verify_if_given or require)`},
		{tlsOf("cert_file: "+cert, "key_file: "+key, "client_auth: require"), "tls.yaml:5: server.tls.client_auth: require verifies client certificates against client_ca_file, which is not set"},
		{tlsOf("cert_file: "+cert, "key_file: "+key, "client_ca_file: "+cert), "tls.yaml:5: server.tls.client_ca_file: set, but client_auth is none"},
		{tlsOf("cert_file: "+cert, "key_file: "+key, "client_auth: require", "client_ca_file: "+junk), "tls.yaml:6: server.tls.client_ca_file: " + junk + ": no PEM certificate in it"},
		{tlsOf("cert_file: "+cert, "key_file: "+key, "ciphers: [x]"), "tls.yaml:5: "},
		{tlsOf("cert_file: "+cert, "key_file: "+key) + "  h2c: true\n", "tls.yaml:5: server.h2c: cleartext HTTP/2 has no place beside server.tls"},
		{"server:\n  h2c: yes\n", `tls.yaml:2: server.h2c must be true or false, got "yes"`},
		{"server:\n  max_concurrent_streams: -1\n", "tls.yaml:2: server.max_concurrent_streams must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := config.Parse("tls.yaml", []byte(tt.give+"routes: [{method: GET, path: /, handler: ok}]\n"), testRegistry())
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Parse(%q) = %v, want %q…", tt.give, err, tt.want)
			}
		})
	}
}
