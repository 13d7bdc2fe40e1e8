package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCustomKindExample(t *testing.T) {
	cfg, err := load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.App.HTTP.Addr, cfg.App.Admin.Addr = "127.0.0.1:0", "off"
	app := cfg.Build()
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	defer app.Shutdown(context.Background())
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	tests := []struct{ path, wantBody, wantVersion string }{
		{"/v2/hello", "hello from v2\n", "v2"}, // the group's api_version stage ran
		{"/hello", "hello\n", ""},              // outside the group: no api_version stage
	}
	for _, tt := range tests {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+app.Addr().String()+tt.path, nil)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(body) != tt.wantBody {
			t.Errorf("GET %s = %d %q, want 200 %q", tt.path, res.StatusCode, body, tt.wantBody)
		}
		if got := res.Header.Get("API-Version"); got != tt.wantVersion {
			t.Errorf("GET %s: API-Version = %q, want %q", tt.path, got, tt.wantVersion)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" { // the catalogue's security_headers, global
			t.Errorf("GET %s: X-Content-Type-Options = %q, want nosniff", tt.path, got)
		}
	}
}

// TestCustomKindBadOptions checks that the custom kind's options are
// checked when the file is loaded, and refused at their FILE:LINE.
func TestCustomKindBadOptions(t *testing.T) {
	tests := []struct{ name, replace, with, wantReason string }{
		{"bad value", "version: v2", "version: two", `api_version: version "two": want v and a number, like v2`},
		{"unknown option", "version: v2", "versoin: v2", `unknown option "versoin" (want one of version)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := strings.Replace(string(embedded), tt.replace, tt.with, 1)
			line := 1 + slices.Index(strings.Split(yaml, "\n"), "      "+tt.with)
			path := filepath.Join(t.TempDir(), "troupe.yaml")
			if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := load(path)
			want := fmt.Sprintf("%s:%d: ", path, line)
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tt.wantReason) {
				t.Errorf("load = %v, want %s…%s", err, want, tt.wantReason)
			}
		})
	}
}
