package httpin

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzCertReload feeds Reload any certificate and key bytes: it never
// panics, a pair it refuses leaves the served one in place, and a pair it
// takes is served.
func FuzzCertReload(f *testing.F) {
	f.Add([]byte(""), []byte(""))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Add(testCertPEM, testKeyPEM)
	f.Add(testKeyPEM, testCertPEM)
	f.Add(append(bytes.Clone(testCertPEM), testCertPEM...), testKeyPEM)
	dir := f.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write := func(t *testing.T, cert, key []byte) {
		if err := os.WriteFile(certFile, cert, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, key, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, cert, key []byte) {
		write(t, testCertPEM, testKeyPEM)
		r, err := NewCertReloader(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		before := r.Certificate()
		write(t, cert, key)
		switch err := r.Reload(); {
		case err != nil && r.Certificate() != before:
			t.Fatalf("Reload failed (%v) but the served pair changed", err)
		case err == nil && (r.Certificate() == before || r.Certificate().Leaf == nil):
			t.Fatal("Reload succeeded but the new pair is not served, or has no Leaf")
		}
	})
}
