package upstream

import (
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe/config"
)

// tlsUpstream starts an https server offering HTTP/2 that answers with the
// protocol it was asked in, and returns it with a CA file that trusts it.
func tlsUpstream(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Proto-Major", string(rune('0'+r.ProtoMajor)))
		_, _ = w.Write([]byte(r.Proto))
	}))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes refused by untrusting clients
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, caFile
}

// An https target that offers HTTP/2 is spoken to in HTTP/2, verified
// against transport.ca_file.
func TestHTTP2ToTLSUpstream(t *testing.T) {
	srv, caFile := tlsUpstream(t)
	u := start(t, Config{Targets: []string{srv.URL}, Transport: TransportConfig{CAFile: caFile}})
	resp, err := u.Do(t.Context(), &Request{Path: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusOK || string(resp.Body) != "HTTP/2.0" || resp.Header.Get("X-Proto-Major") != "2" {
		t.Errorf("upstream saw %q (major %s), status %d; want HTTP/2.0", resp.Body, resp.Header.Get("X-Proto-Major"), resp.Status)
	}
}

// Without ca_file, the test server's certificate is not trusted: the call
// fails instead of going out unverified.
func TestTLSUpstreamUntrusted(t *testing.T) {
	srv, _ := tlsUpstream(t)
	u := start(t, Config{Targets: []string{srv.URL}, Retry: RetryConfig{MaxAttempts: 1}})
	if resp, err := u.Do(t.Context(), &Request{Path: "/"}); err == nil {
		t.Fatalf("a target with an unknown CA answered %d", resp.Status)
	}
}

// A bad ca_file fails New, naming the key.
func TestCAFileErrors(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk.pem")
	if err := os.WriteFile(junk, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		junk: "transport.ca_file: " + junk + ": no PEM certificate in it",
		filepath.Join(t.TempDir(), "missing.pem"): "transport.ca_file: open ",
	} {
		_, err := New(Config{Name: "x", Targets: []string{"https://127.0.0.1:1"}, Transport: TransportConfig{CAFile: file}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New with ca_file %s: %v, want %q", file, err, want)
		}
	}
}

// The proxy streams a response from an HTTP/2 upstream, with a request
// whose hop-by-hop headers HTTP/2 forbids.
func TestProxyToHTTP2Upstream(t *testing.T) {
	srv, caFile := tlsUpstream(t)
	p := proxy(t, Config{Targets: []string{srv.URL}, Transport: TransportConfig{CAFile: caFile}}, ProxyConfig{})
	ex := exchange(t.Context(), http.MethodGet, "/x", nil, 10*time.Second)
	ex.Request.Header.Set("Connection", "keep-alive, X-Hop")
	ex.Request.Header.Set("X-Hop", "1")
	ex.Request.Header.Set("Keep-Alive", "timeout=5")
	a := serve(p, ex)
	if a.err != nil || a.status != http.StatusOK || a.body != "HTTP/2.0" {
		t.Errorf("proxied: %d %q, err %v; want 200 \"HTTP/2.0\"", a.status, a.body, a.err)
	}
}

// transport.ca_file is an option of the upstreams section: a bad file is
// an error at the upstream's line.
func TestCAFileInConfig(t *testing.T) {
	var reg config.Registry
	Register(&reg)
	src := "upstreams:\n  api:\n    targets: [\"https://127.0.0.1:1\"]\n    transport: {ca_file: /nonexistent/ca.pem}\n" +
		"routes: [{method: GET, path: \"/{rest...}\", handler: proxy, options: {upstream: api}}]\n"
	_, err := config.Parse("test.yaml", []byte(src), &reg)
	if err == nil || !strings.HasPrefix(err.Error(), "test.yaml:") || !strings.Contains(err.Error(), "transport.ca_file: open /nonexistent/ca.pem") {
		t.Errorf("Parse with a missing ca_file: %v", err)
	}
}
