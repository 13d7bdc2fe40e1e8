package httpin_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/httpin"
)

// get fetches url with c and returns the response, its body read.
func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// With TLS, the listener speaks HTTP/2 to a client that offers it through
// ALPN, and HTTP/1.1 to one that does not.
func TestTLSServesHTTP2AndHTTP1(t *testing.T) {
	cert := newTestCert(t, 1)
	certFile, keyFile := certFiles(t, cert)
	_, addr := startApp(t, httpin.Config{TLS: httpin.TLSConfig{CertFile: certFile, KeyFile: keyFile}}, nil)

	resp, body := get(t, tlsClient(t, cert.pool, (*http.Protocols).SetHTTP1, (*http.Protocols).SetHTTP2), "https://"+addr+"/hello")
	if resp.Proto != "HTTP/2.0" || resp.StatusCode != http.StatusOK || body != "hello" {
		t.Errorf("h2 client: %s %d %q, want HTTP/2.0 200 \"hello\"", resp.Proto, resp.StatusCode, body)
	}
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("h2 client: TLS state %v, want TLS 1.2 or later", resp.TLS)
	}
	resp, body = get(t, tlsClient(t, cert.pool, (*http.Protocols).SetHTTP1), "https://"+addr+"/hello")
	if resp.Proto != "HTTP/1.1" || resp.StatusCode != http.StatusOK || body != "hello" {
		t.Errorf("HTTP/1.1-only client: %s %d %q, want HTTP/1.1 200 \"hello\"", resp.Proto, resp.StatusCode, body)
	}
}

// A TLS listener refuses a client older than its MinVersion.
func TestTLSMinVersion(t *testing.T) {
	cert := newTestCert(t, 1)
	certFile, keyFile := certFiles(t, cert)
	_, addr := startApp(t, httpin.Config{TLS: httpin.TLSConfig{CertFile: certFile, KeyFile: keyFile, MinVersion: tls.VersionTLS13}}, nil)

	c := tlsClient(t, cert.pool, (*http.Protocols).SetHTTP1)
	c.Transport.(*http.Transport).TLSClientConfig.MaxVersion = tls.VersionTLS12
	if resp, err := c.Get("https://" + addr + "/hello"); err == nil {
		resp.Body.Close()
		t.Fatalf("a TLS 1.2 client was served %s by a listener whose min_version is 1.3", resp.Status)
	}
	c13 := tlsClient(t, cert.pool, (*http.Protocols).SetHTTP1)
	if resp, _ := get(t, c13, "https://"+addr+"/hello"); resp.TLS.Version != tls.VersionTLS13 {
		t.Errorf("TLS version %s, want 1.3", tls.VersionName(resp.TLS.Version))
	}
}

// ReloadTLS serves the new certificate to the next connection; a bad new
// file leaves the pair served before, and says why.
func TestTLSReload(t *testing.T) {
	cert1 := newTestCert(t, 1)
	certFile, keyFile := certFiles(t, cert1)
	app, addr := startApp(t, httpin.Config{TLS: httpin.TLSConfig{CertFile: certFile, KeyFile: keyFile}}, nil)
	if got := servedSerial(t, addr); got != 1 {
		t.Fatalf("serial %d served at start, want 1", got)
	}

	newTestCert(t, 2).write(t, certFile, keyFile)
	if err := app.ReloadTLS(); err != nil {
		t.Fatalf("ReloadTLS: %v", err)
	}
	if got := servedSerial(t, addr); got != 2 {
		t.Fatalf("serial %d served after reload, want 2", got)
	}

	// A certificate without its key: the key file is still the old one.
	if err := os.WriteFile(certFile, newTestCert(t, 3).certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := app.ReloadTLS(); err == nil {
		t.Error("ReloadTLS of a certificate that does not match its key returned nil")
	}
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := app.ReloadTLS(); err == nil {
		t.Error("ReloadTLS of a file that is not PEM returned nil")
	}
	if got := servedSerial(t, addr); got != 2 {
		t.Errorf("serial %d served after bad reloads, want 2 (the last good pair)", got)
	}
}

// Without TLS, ReloadTLS says so; before Start too.
func TestReloadTLSWithoutTLS(t *testing.T) {
	app, _ := startApp(t, httpin.Config{}, nil)
	if err := app.ReloadTLS(); !errors.Is(err, httpin.ErrNoTLS) {
		t.Errorf("ReloadTLS without TLS: %v, want ErrNoTLS", err)
	}
	if err := troupe.New(troupe.Config{}).ReloadTLS(); !errors.Is(err, troupe.ErrNotStarted) {
		t.Errorf("ReloadTLS before Start: %v, want ErrNotStarted", err)
	}
}

// A bad certificate fails Start, naming the files.
func TestTLSBadCertFailsStart(t *testing.T) {
	certFile, keyFile := certFiles(t, newTestCert(t, 1))
	if err := os.WriteFile(keyFile, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0", TLS: httpin.TLSConfig{CertFile: certFile, KeyFile: keyFile}}, Admin: troupe.AdminConfig{Addr: "off"}}
	app := troupe.New(cfg)
	helloEcho(app)
	err := app.Start()
	if err == nil {
		t.Fatal("Start with a key file that is not PEM succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, keyFile) {
		t.Errorf("Start: %q does not name %s", msg, keyFile)
	}
}

// Client certificates: with RequireAndVerifyClientCert, a client without
// one is refused and one with a certificate the CA file signed is served.
func TestTLSClientAuth(t *testing.T) {
	server, client := newTestCert(t, 1), newTestCert(t, 9)
	certFile, keyFile := certFiles(t, server)
	caFile, clientKey := certFiles(t, client)
	_, addr := startApp(t, httpin.Config{TLS: httpin.TLSConfig{
		CertFile: certFile, KeyFile: keyFile, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAFile: caFile,
	}}, nil)

	anon := tlsClient(t, server.pool, (*http.Protocols).SetHTTP1, (*http.Protocols).SetHTTP2)
	if resp, err := anon.Get("https://" + addr + "/hello"); err == nil {
		resp.Body.Close()
		t.Fatalf("a client without a certificate was served %s", resp.Status)
	}
	pair, err := tls.LoadX509KeyPair(caFile, clientKey)
	if err != nil {
		t.Fatal(err)
	}
	known := tlsClient(t, server.pool, (*http.Protocols).SetHTTP1, (*http.Protocols).SetHTTP2)
	known.Transport.(*http.Transport).TLSClientConfig.Certificates = []tls.Certificate{pair}
	if resp, body := get(t, known, "https://"+addr+"/hello"); resp.StatusCode != http.StatusOK || body != "hello" {
		t.Errorf("a client with a certificate the CA signed: %d %q", resp.StatusCode, body)
	}
}

// The connection caps hold under TLS: they count TCP connections, before
// the handshake.
func TestTLSConnectionCap(t *testing.T) {
	cert := newTestCert(t, 1)
	certFile, keyFile := certFiles(t, cert)
	_, addr := startApp(t, httpin.Config{MaxConnectionsPerIP: 1, TLS: httpin.TLSConfig{CertFile: certFile, KeyFile: keyFile}}, nil)
	first := tlsClient(t, cert.pool, (*http.Protocols).SetHTTP2)
	if resp, _ := get(t, first, "https://"+addr+"/hello"); resp.StatusCode != http.StatusOK {
		t.Fatalf("first connection: %s", resp.Status)
	}
	// first keeps its HTTP/2 connection open; a second one is past the cap.
	second := tlsClient(t, cert.pool, (*http.Protocols).SetHTTP2)
	if resp, err := second.Get("https://" + addr + "/hello"); err == nil {
		resp.Body.Close()
		t.Fatalf("a second connection past max_connections_per_ip 1 was served %s", resp.Status)
	}
}

// A client that connects and never starts its TLS handshake is closed at
// ReadHeaderTimeout, which bounds the handshake.
func TestTLSHandshakeTimeout(t *testing.T) {
	cert := newTestCert(t, 1)
	certFile, keyFile := certFiles(t, cert)
	_, addr := startApp(t, httpin.Config{ReadHeaderTimeout: time.Second, TLS: httpin.TLSConfig{CertFile: certFile, KeyFile: keyFile}}, nil)
	start := time.Now() // before the dial: the server's timeout runs from its accept
	c := dial(t, addr)
	_ = c.SetReadDeadline(start.Add(20 * time.Second)) // far past the 1 s timeout, and far below ReadTimeout's 30 s default
	n, err := c.Read(make([]byte, 1))
	took := time.Since(start)
	if n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a silent client: read %d, %v after %s; want the server to close it", n, err, took)
	}
	if took < time.Second {
		t.Errorf("closed after %s, before ReadHeaderTimeout (1s)", took)
	}
}
