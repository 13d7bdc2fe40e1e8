package secheaders_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/secheaders"
	"github.com/troupe-go/troupe/stagetest"
)

var defaults = map[string]string{
	"X-Content-Type-Options":       "nosniff",
	"X-Frame-Options":              "DENY",
	"Referrer-Policy":              "no-referrer",
	"Content-Security-Policy":      "default-src 'none'; frame-ancestors 'none'",
	"Cross-Origin-Opener-Policy":   "same-origin",
	"Cross-Origin-Resource-Policy": "same-origin",
	"Permissions-Policy":           "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
	"Strict-Transport-Security":    "",
}

// with returns the defaults with changes; "" means the header is absent.
func with(changes ...string) map[string]string {
	out := map[string]string{}
	for k, v := range defaults {
		out[k] = v
	}
	for i := 0; i+1 < len(changes); i += 2 {
		out[changes[i]] = changes[i+1]
	}
	return out
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		name string
		give secheaders.Config
		want map[string]string
	}{
		{"defaults", secheaders.Config{}, defaults},
		{"override", secheaders.Config{ContentSecurityPolicy: "default-src 'self'", FrameOptions: "SAMEORIGIN", ReferrerPolicy: "strict-origin-when-cross-origin",
			CrossOriginResourcePolicy: "cross-origin", CrossOriginOpenerPolicy: "same-origin-allow-popups", PermissionsPolicy: "camera=()", ContentTypeOptions: "nosniff"},
			with("Content-Security-Policy", "default-src 'self'", "X-Frame-Options", "SAMEORIGIN", "Referrer-Policy", "strict-origin-when-cross-origin",
				"Cross-Origin-Resource-Policy", "cross-origin", "Cross-Origin-Opener-Policy", "same-origin-allow-popups", "Permissions-Policy", "camera=()")},
		{"omit", secheaders.Config{Omit: []string{"x-frame-options", secheaders.PermissionsPolicy}},
			with("X-Frame-Options", "", "Permissions-Policy", "")},
		{"hsts", secheaders.Config{HSTSMaxAge: 180 * 24 * time.Hour}, with("Strict-Transport-Security", "max-age=15552000")},
		{"hsts with subdomains", secheaders.Config{HSTSMaxAge: time.Hour, HSTSIncludeSubdomains: true}, with("Strict-Transport-Security", "max-age=3600; includeSubDomains")},
		{"hsts preload", secheaders.Config{HSTSMaxAge: 2 * 365 * 24 * time.Hour, HSTSIncludeSubdomains: true, HSTSPreload: true},
			with("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload")},
		{"hsts omitted", secheaders.Config{HSTSMaxAge: time.Hour, Omit: []string{"Strict-Transport-Security"}}, defaults},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := secheaders.New("security", tt.give)
			if err != nil {
				t.Fatal(err)
			}
			out := stagetest.RunSpec(t, s, httptest.NewRequest("GET", "/x", nil))
			for k, want := range tt.want {
				if got := out.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
				if n := len(out.Header.Values(k)); want != "" && n != 1 {
					t.Errorf("%s sent %d times, want once", k, n)
				}
			}
		})
	}
}

// The headers are on every response, errors included, and a handler may
// override them.
func TestHeadersOnEveryResponse(t *testing.T) {
	s, err := secheaders.New("security", secheaders.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		handler func(ex *actors.Exchange) error
		wantCSP string
	}{
		{"ok", func(ex *actors.Exchange) error { ex.Respond(http.StatusOK, "text/plain", []byte("ok")); return nil }, "default-src 'none'; frame-ancestors 'none'"},
		{"error", func(*actors.Exchange) error { return actors.NewError(http.StatusUnauthorized, "who are you") }, "default-src 'none'; frame-ancestors 'none'"},
		{"500", func(*actors.Exchange) error { return errors.New("broken") }, "default-src 'none'; frame-ancestors 'none'"},
		{"handler overrides", func(ex *actors.Exchange) error {
			ex.Response.Header().Set("Content-Security-Policy", "default-src 'self'")
			ex.Respond(http.StatusOK, "text/html", []byte("<p>hi"))
			return nil
		}, "default-src 'self'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.RunSpec(t, s, httptest.NewRequest("GET", "/x", nil), stagetest.WithHandler(tt.handler))
			if got := out.Header.Get("Content-Security-Policy"); got != tt.wantCSP {
				t.Errorf("status %d: Content-Security-Policy = %q, want %q", out.Status, got, tt.wantCSP)
			}
			if got := out.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("status %d: X-Content-Type-Options = %q, want nosniff", out.Status, got)
			}
		})
	}
}

// Each response gets header values of its own: changing one response's
// does not change the next one's.
func TestResponsesShareNothing(t *testing.T) {
	s, err := secheaders.New("security", secheaders.Config{})
	if err != nil {
		t.Fatal(err)
	}
	first := stagetest.RunSpec(t, s, httptest.NewRequest("GET", "/x", nil))
	first.Header["X-Frame-Options"][0] = "SAMEORIGIN"
	first.Header.Add("Referrer-Policy", "origin")
	second := stagetest.RunSpec(t, s, httptest.NewRequest("GET", "/x", nil))
	if got := second.Header.Values("X-Frame-Options"); len(got) != 1 || got[0] != "DENY" {
		t.Errorf("X-Frame-Options = %q, want [DENY]", got)
	}
	if got := second.Header.Values("Referrer-Policy"); len(got) != 1 {
		t.Errorf("Referrer-Policy = %q, want one value", got)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		give secheaders.Config
		want string
	}{
		{"unknown omit", secheaders.Config{Omit: []string{"X-Powered-By"}}, `omit: "X-Powered-By" is not one of the headers`},
		{"value and omit", secheaders.Config{FrameOptions: "SAMEORIGIN", Omit: []string{"X-Frame-Options"}}, "both given a value and omitted"},
		{"newline in a value", secheaders.Config{ContentSecurityPolicy: "default-src 'none'\r\nSet-Cookie: a=b"}, "control characters"},
		{"negative hsts", secheaders.Config{HSTSMaxAge: -time.Second}, "hsts_max_age"},
		{"fractional hsts", secheaders.Config{HSTSMaxAge: 1500 * time.Millisecond}, "hsts_max_age"},
		{"subdomains without hsts", secheaders.Config{HSTSIncludeSubdomains: true}, "need hsts_max_age"},
		{"preload without subdomains", secheaders.Config{HSTSMaxAge: 400 * 24 * time.Hour, HSTSPreload: true}, "hsts_preload needs"},
		{"preload too short", secheaders.Config{HSTSMaxAge: 24 * time.Hour, HSTSIncludeSubdomains: true, HSTSPreload: true}, "hsts_preload needs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := secheaders.New("security", tt.give); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%+v) = %v, want an error containing %q", tt.give, err, tt.want)
			}
		})
	}
}

// The stage declares its headers fixed, exactly those Process sets, so the
// deadline's 504 carries them too.
func TestFixedHeadersAreThoseSet(t *testing.T) {
	spec, err := secheaders.New("security", secheaders.Config{Omit: []string{"X-Frame-Options"}})
	if err != nil {
		t.Fatal(err)
	}
	fh, ok := spec.Stage.(actors.FixedHeaderStage)
	if !ok {
		t.Fatal("the stage does not declare fixed headers")
	}
	fixed := fh.FixedHeaders()
	res := stagetest.RunSpec(t, spec, httptest.NewRequest(http.MethodGet, "/", nil))
	for k, v := range with("X-Frame-Options", "") {
		if got := fixed.Get(k); got != v {
			t.Errorf("fixed %s = %q, want %q", k, got, v)
		}
		if got := res.Header.Get(k); got != v {
			t.Errorf("set %s = %q, want %q", k, got, v)
		}
	}
}
