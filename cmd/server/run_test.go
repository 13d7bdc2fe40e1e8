package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for concurrent use: the server logs
// from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runCmd runs the command to completion with args and returns its exit
// status, stdout and stderr.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errs syncBuffer
	code = exitCode(run(t.Context(), args, &out, &errs), &errs)
	return code, out.String(), errs.String()
}

// writeFile writes a file in a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckDefault(t *testing.T) {
	code, stdout, stderr := runCmd(t, "-check")
	if code != 0 || stdout != "config OK: 8 routes\n" || stderr != "" {
		t.Errorf("server -check = %d, stdout %q, stderr %q; want 0, \"config OK: 8 routes\\n\", \"\"", code, stdout, stderr)
	}
}

func TestPrintDefault(t *testing.T) {
	code, stdout, _ := runCmd(t, "-print-default")
	if code != 0 || stdout != string(defaultConfig) {
		t.Fatalf("server -print-default = %d, %d bytes; want 0 and the %d bytes of default.yaml", code, len(stdout), len(defaultConfig))
	}
	path := writeFile(t, "troupe.yaml", stdout)
	if code, stdout, stderr := runCmd(t, "-check", "-config", path); code != 0 || stdout != "config OK: 8 routes\n" {
		t.Errorf("server -check -config (the printed default) = %d, %q, %q; want 0, config OK", code, stdout, stderr)
	}
}

func TestCheckBroken(t *testing.T) {
	tests := []struct {
		name       string
		give       string
		wantLine   int
		wantReason string
	}{
		{
			name:       "unknown key",
			give:       "server:\n  adr: ':8080'\nroutes: [{method: GET, path: /, handler: hello}]\n",
			wantLine:   2,
			wantReason: `unknown key "adr" in server`,
		},
		{
			name:       "unknown stage",
			give:       "global: [nope]\nroutes: [{method: GET, path: /, handler: hello}]\n",
			wantLine:   1,
			wantReason: `unknown stage "nope" in global`,
		},
		{
			name:       "bad option of a demo kind",
			give:       "stages:\n  h:\n    kind: header\n    options: {value: x}\nroutes: [{method: GET, path: /, handler: hello}]\n",
			wantLine:   4,
			wantReason: "header: option name must be a header name",
		},
		{
			name:       "undeclared upstream",
			give:       "upstreams:\n  scoring: {targets: [\"http://127.0.0.1:1\"]}\nroutes:\n  - {method: GET, path: /, handler: hello}\n  - {method: POST, path: /s, handler: batch_proxy, options: {upstream: scorin}}\n",
			wantLine:   5,
			wantReason: `option upstream: "scorin" is not declared under upstreams (declared: scoring)`,
		},
		{
			name:       "bad flaky probability parameter",
			give:       "stages:\n  f:\n    kind: flaky\n    options:\n      panic_prob: 1\nroutes: [{method: GET, path: /, handler: hello}]\n",
			wantLine:   5,
			wantReason: `unknown option "panic_prob"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "broken.yaml", tt.give)
			code, stdout, stderr := runCmd(t, "-check", "-config", path)
			wantPrefix := fmt.Sprintf("%s:%d: ", path, tt.wantLine)
			if code != 2 || stdout != "" || !strings.HasPrefix(stderr, wantPrefix) || !strings.Contains(stderr, tt.wantReason) {
				t.Errorf("server -check -config broken.yaml = %d, stdout %q, stderr %q; want 2 and %q…%q", code, stdout, stderr, wantPrefix, tt.wantReason)
			}
		})
	}
}

// A configuration with shared upstreams checks without reaching them.
func TestCheckUpstreams(t *testing.T) {
	path := writeFile(t, "up.yaml", `
upstreams:
  scoring:
    targets: ["http://127.0.0.1:1"]
    breaker: {consecutive_failures: 5, open_timeout: 10s}
routes:
  - {method: GET, path: "/a/{rest...}", handler: proxy, options: {upstream: scoring, strip_prefix: /a}}
  - {method: GET, path: "/b/{rest...}", handler: proxy, options: {upstream: scoring, strip_prefix: /b}}
  - {method: POST, path: /score, handler: batch_proxy, options: {upstream: scoring, path: /batch, batch: {max_batch_size: 32}}}
`)
	if code, stdout, stderr := runCmd(t, "-check", "-config", path); code != 0 || stdout != "config OK: 3 routes\n" {
		t.Errorf("server -check -config up.yaml = %d, %q, %q; want 0, config OK: 3 routes", code, stdout, stderr)
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		give     []string
		wantCode int
		wantErr  string // in stderr
	}{
		{name: "help", give: []string{"-h"}, wantCode: 0, wantErr: "Usage: server"},
		{name: "kinds", give: []string{"-kinds"}, wantCode: 0},
		{name: "unknown flag", give: []string{"-nope"}, wantCode: 2, wantErr: "flag provided but not defined: -nope"},
		{name: "argument", give: []string{"serve"}, wantCode: 2, wantErr: "unexpected arguments: serve"},
		{name: "bad log format", give: []string{"-log-format", "xml"}, wantCode: 2, wantErr: `-log-format: unknown format "xml"`},
		{name: "missing file", give: []string{"-config", "/nonexistent/troupe.yaml"}, wantCode: 2, wantErr: "no such file"},
		{name: "bad address flag", give: []string{"-check", "-addr", "8080"}, wantCode: 2, wantErr: `-addr: bad address "8080"`},
		{name: "bad admin address flag", give: []string{"-check", "-admin-addr", "localhost"}, wantCode: 2, wantErr: `-admin-addr: bad address "localhost"`},
		{name: "admin off", give: []string{"-check", "-admin-addr", "off"}, wantCode: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, tt.give...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("server %q = %d, stderr %q; want %d, %q", tt.give, code, stderr, tt.wantCode, tt.wantErr)
			}
		})
	}
}

func TestKinds(t *testing.T) {
	_, stdout, _ := runCmd(t, "-kinds")
	for _, want := range []string{"header", "flaky", "hello", "echo", "proxy", "batch_proxy", "upstreams"} {
		if !strings.Contains(stdout, "  "+want+" ") {
			t.Errorf("server -kinds = %q, want it to list %s", stdout, want)
		}
	}
}

func TestListenFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, stderr := runCmd(t, "-addr", ln.Addr().String(), "-admin-addr", "off")
	if code != 1 || !strings.Contains(stderr, "address already in use") {
		t.Errorf("server -addr (taken) = %d, stderr %q; want 1, address already in use", code, stderr)
	}
}

// server is a run of the command in the background.
type server struct {
	base, admin string
	logs        *syncBuffer
	cancel      context.CancelFunc
	done        chan error
}

// start runs the command with args until stop, and returns once it serves.
func start(t *testing.T, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	s := &server{logs: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)} // run's one result; never blocks it
	type addrs struct{ addr, admin net.Addr }
	ready := make(chan addrs, 1) // run reports once; never blocks it
	rc := runConfig{ready: func(addr, admin net.Addr) { ready <- addrs{addr, admin} }}
	go func() { s.done <- rc.run(ctx, args, io.Discard, s.logs) }()
	select {
	case a := <-ready:
		s.base = "http://" + a.addr.String()
		if a.admin != nil {
			s.admin = "http://" + a.admin.String()
		}
	case err := <-s.done:
		cancel()
		t.Fatalf("run(%q) = %v before serving; logs:\n%s", args, err, s.logs)
	}
	return s
}

// stop cancels the run's context and returns what run returned.
func (s *server) stop() error {
	s.cancel()
	return <-s.done
}

// TestServe runs the built-in configuration and exercises its routes and
// the admin listener, then shuts it down.
func TestServe(t *testing.T) {
	srv := start(t, "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0", "-log-format", "console")
	client := &http.Client{}
	defer client.CloseIdleConnections()

	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantType    string
		wantBody    string // a fragment
		wantHeader  string // "Name: value"
	}{
		{
			name: "hello", method: http.MethodGet, path: "/hello",
			wantStatus: http.StatusOK, wantType: "application/json",
			wantBody: `{"message":"hello","request_id":"e2e-hello"}`, wantHeader: "Server: troupe",
		},
		{
			name: "echo", method: http.MethodPost, path: "/echo", contentType: "text/plain; charset=utf-8", body: "hi there",
			wantStatus: http.StatusOK, wantType: "text/plain; charset=utf-8", wantBody: "hi there", wantHeader: "Server: troupe",
		},
		{
			name: "echo without content type", method: http.MethodPost, path: "/echo", body: "\x00\x01",
			wantStatus: http.StatusOK, wantType: "application/octet-stream", wantBody: "\x00\x01", wantHeader: "Server: troupe",
		},
		{
			name: "flaky panics", method: http.MethodGet, path: "/demo/flaky?panic=1",
			wantStatus: http.StatusInternalServerError, wantType: "application/problem+json",
			wantBody: `"request_id":"e2e-flaky-panics"`, wantHeader: "X-Demo: 1",
		},
		{
			name: "flaky survives", method: http.MethodGet, path: "/demo/flaky?panic=0",
			wantStatus: http.StatusOK, wantType: "application/json",
			wantBody: `{"message":"survived","request_id":"e2e-flaky-survives"}`, wantHeader: "X-Demo: 1",
		},
		{
			name: "flaky rejects", method: http.MethodGet, path: "/demo/flaky?panic=lots",
			wantStatus: http.StatusBadRequest, wantType: "application/problem+json",
			wantBody: "must be a number from 0 to 1", wantHeader: "X-Demo: 1",
		},
		{
			name: "not found", method: http.MethodGet, path: "/nope",
			wantStatus: http.StatusNotFound, wantType: "application/problem+json", wantBody: `"status":404`,
			wantHeader: "X-Request-Id: e2e-not-found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.base+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Request-ID", "e2e-"+strings.ReplaceAll(tt.name, " ", "-"))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Content-Type") != tt.wantType {
				t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), tt.wantStatus, tt.wantType)
			}
			if !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("%s %s body = %q, want it to contain %q", tt.method, tt.path, body, tt.wantBody)
			}
			name, value, _ := strings.Cut(tt.wantHeader, ": ")
			if got := resp.Header.Get(name); got != value {
				t.Errorf("%s %s header %s = %q, want %q", tt.method, tt.path, name, got, value)
			}
		})
	}

	t.Run("metrics", func(t *testing.T) {
		resp, err := client.Get(srv.admin + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{`troupe_requests_total{`, `troupe_stage_restarts_total{stage="flaky"}`} {
			if !strings.Contains(string(body), want) {
				t.Errorf("GET /metrics lacks %q:\n%s", want, body)
			}
		}
	})

	if err := srv.stop(); err != nil {
		t.Errorf("run returned %v after its context ended, want nil", err)
	}
	for _, want := range []string{"serving", "stage panicked", "stopped"} {
		if !strings.Contains(srv.logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, srv.logs)
		}
	}
}

// -version prints one line naming the build and the Go version it was
// built with, and exits 0 without starting anything.
func TestVersion(t *testing.T) {
	code, stdout, stderr := runCmd(t, "-version")
	if code != 0 || !strings.HasPrefix(stdout, "troupe server ") || !strings.Contains(stdout, runtime.Version()) || strings.Count(stdout, "\n") != 1 || stderr != "" {
		t.Errorf("-version = %d, %q, %q; want 0 and one line naming the build and %s", code, stdout, stderr, runtime.Version())
	}
}
