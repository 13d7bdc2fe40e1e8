package maintenance_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages/maintenance"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const site = `
server: {addr: "127.0.0.1:0"}
admin: {addr: "127.0.0.1:0"}
stages:
  site-wide:
    kind: maintenance
    options: {enabled: true, retry_after: 5m, message: back soon, allow: [/status]}
global: [site-wide]
routes:
  - {method: GET, path: /items, handler: ok}
  - {method: GET, path: /status, handler: ok}
`

func registry() *config.Registry {
	reg := &config.Registry{}
	maintenance.Register(reg)
	reg.RegisterHandler("ok", config.Kind{New: func(string, config.Options) (*actors.Spec, error) {
		return &actors.Spec{Kind: actors.Stateless, Stage: actors.StageFunc(func(ex *actors.Exchange) error {
			ex.Respond(http.StatusOK, "text/plain", []byte("ok"))
			return nil
		})}, nil
	}})
	return reg
}

// Switched on in the configuration, then off and on again through the admin
// routes that Build mounted on the admin listener.
func TestFromConfigAndAdminListener(t *testing.T) {
	cfg, err := config.Parse("site.yaml", []byte(site), registry())
	if err != nil {
		t.Fatal(err)
	}
	app := cfg.Build(troupe.WithLogger(zap.NewNop()))
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		app.Shutdown(ctx)
	})
	base, admin := "http://"+app.Addr().String(), "http://"+app.AdminAddr().String()
	do := func(method, url, body string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(b)
	}

	steps := []struct {
		name       string
		method     string
		url        string
		body       string
		wantStatus int
		wantRetry  string
		wantIn     string // in the body
	}{
		{"on from the configuration", "GET", base + "/items", "", 503, "300", "back soon"},
		{"the allow-list passes", "GET", base + "/status", "", 200, "", "ok"},
		{"admin GET reads it", "GET", admin + "/maintenance/site-wide", "", 200, "", `"enabled":true,"retry_after":"5m0s"`},
		{"admin PUT turns it off", "PUT", admin + "/maintenance/site-wide", `{"enabled":false}`, 200, "", `"enabled":false`},
		{"off", "GET", base + "/items", "", 200, "", "ok"},
		{"admin PUT turns it on", "PUT", admin + "/maintenance/site-wide", `{"enabled":true,"retry_after":"30s","message":"db upgrade"}`, 200, "", `"retry_after":"30s"`},
		{"on with the new message and retry", "GET", base + "/items", "", 503, "30", "db upgrade"},
	}
	for _, s := range steps {
		status, h, body := do(s.method, s.url, s.body)
		if status != s.wantStatus || h.Get("Retry-After") != s.wantRetry || !strings.Contains(body, s.wantIn) {
			t.Errorf("%s: %s %s = %d %s (Retry-After %q); want %d with %q (Retry-After %q)", s.name, s.method, s.url, status, body, h.Get("Retry-After"), s.wantStatus, s.wantIn, s.wantRetry)
		}
	}
}

func TestRegisterRejects(t *testing.T) {
	tests := []struct {
		name    string
		options string
		want    string
	}{
		{name: "relative path", options: "{allow: [status]}", want: "x.yaml:5: maintenance: allow paths must start with /"},
		{name: "unknown option", options: "{on: true}", want: `unknown option "on"`},
		{name: "bad duration", options: "{retry_after: soon}", want: "x.yaml:5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "stages:\n  m:\n    kind: maintenance\n    options:\n      " + tt.options + "\n"
			_, err := config.Parse("x.yaml", []byte(src), registry())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(options %s) = %v, want an error containing %q", tt.options, err, tt.want)
			}
		})
	}
}
