//go:build unix

package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writeCertPair writes a self-signed certificate with serial, and its key,
// to certFile and keyFile as PEM.
func writeCertPair(t *testing.T, serial int64, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// serialAt returns the serial of the certificate a new TLS connection to
// addr is served.
func serialAt(t *testing.T, addr string) int64 {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// SIGHUP makes the server re-read its certificate: the next connection is
// served the new one; a bad file is logged and the old one kept.
func TestSIGHUPReloadsCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	writeCertPair(t, 1, certFile, keyFile)
	cfg := writeFile(t, "tls.yaml", "server:\n  tls: {cert_file: "+certFile+", key_file: "+keyFile+"}\n"+
		"routes: [{method: GET, path: /hello, handler: hello}]\n")

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	logs := &syncBuffer{}
	ready := make(chan net.Addr, 1) // run reports once
	type outcome struct {
		rep *reloadReport
		err error
	}
	reloaded := make(chan outcome, 2) // once per SIGHUP sent
	done := make(chan error, 1)       // run's result
	rc := runConfig{ready: func(addr, _ net.Addr) { ready <- addr }, reloaded: func(rep *reloadReport, err error) { reloaded <- outcome{rep, err} }}
	go func() {
		done <- rc.run(ctx, []string{"-config", cfg, "-addr", "127.0.0.1:0", "-admin-addr", "off"}, io.Discard, logs)
	}()
	var addr string
	select {
	case a := <-ready:
		addr = a.String()
	case err := <-done:
		t.Fatalf("run = %v before serving; logs:\n%s", err, logs)
	}
	if got := serialAt(t, addr); got != 1 {
		t.Fatalf("serial %d served at start, want 1", got)
	}

	writeCertPair(t, 2, certFile, keyFile)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if o := <-reloaded; o.err != nil || len(o.rep.Failed) != 0 {
		t.Fatalf("reload after SIGHUP: %v %+v, want the certificate reloaded", o.err, o.rep)
	}
	if got := serialAt(t, addr); got != 2 {
		t.Errorf("serial %d served after SIGHUP, want 2", got)
	}

	if err := os.WriteFile(keyFile, []byte("truncated"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// The configuration names the key file, so the whole reload is
	// refused at the key's line, and nothing changes.
	if o := <-reloaded; o.err == nil || !strings.Contains(o.err.Error(), "tls.yaml:2: server.tls.key_file") {
		t.Fatalf("reload of a bad key file after SIGHUP: %v, want it refused at the key's line", o.err)
	}
	if got := serialAt(t, addr); got != 2 {
		t.Errorf("serial %d served after a bad reload, want 2 (kept)", got)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run = %v after its context ended", err)
	}
	for _, want := range []string{`"TLS certificate reloaded"`, `"serial":"2"`, `"configuration not reloaded; the running one is unchanged"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}
