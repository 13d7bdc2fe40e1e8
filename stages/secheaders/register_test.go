package secheaders_test

import (
	"net/http/httptest"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages/secheaders"
	"github.com/troupe-go/troupe/stagetest"
	"go.yaml.in/yaml/v3"
)

// build builds a security_headers stage from YAML options, as a config
// file would.
func build(t *testing.T, src string) (*actors.Spec, error) {
	t.Helper()
	var reg config.Registry
	secheaders.Register(&reg)
	k, ok := reg.Stage("security_headers")
	if !ok {
		t.Fatal("Register did not add the kind security_headers")
	}
	if k.Priority != actors.Global || k.Doc == "" {
		t.Errorf("kind security_headers: priority %v, doc %q; want global with a doc", k.Priority, k.Doc)
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatalf("yaml.Unmarshal(%q): %v", src, err)
	}
	return k.New("security", config.NewOptions("sec.yaml", &n))
}

func TestKind(t *testing.T) {
	spec, err := build(t, `
content_security_policy: "default-src 'self'"
hsts_max_age: 8760h
hsts_include_subdomains: true
omit: [X-Frame-Options]
`)
	if err != nil {
		t.Fatal(err)
	}
	spec.Name = "security"
	out := stagetest.RunSpec(t, spec, httptest.NewRequest("GET", "/", nil))
	want := map[string]string{
		"Content-Security-Policy":   "default-src 'self'",
		"Strict-Transport-Security": "max-age=31536000; includeSubDomains",
		"X-Frame-Options":           "",
		"X-Content-Type-Options":    "nosniff",
	}
	for k, w := range want {
		if got := out.Header.Get(k); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
}

// Bad options are errors at their line in the file.
func TestKindErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"unknown option", "csp: x", `sec.yaml:1: unknown option "csp" (want one of content_security_policy, content_type_options, cross_origin_opener_policy, cross_origin_resource_policy, frame_options, hsts_include_subdomains, hsts_max_age, hsts_preload, omit, permissions_policy, referrer_policy)`},
		{"two problems", "omit: [Server]\nhsts_preload: true", `sec.yaml:1: security_headers: hsts_include_subdomains and hsts_preload need hsts_max_age; omit: "Server" is not one of the headers the stage sets`},
		{"hsts as a number", "\nhsts_max_age: 31536000", "sec.yaml:2: bad option value: cannot unmarshal !!int `31536000` into time.Duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := build(t, tt.give)
			if err == nil || err.Error() != tt.want {
				t.Errorf("New(%q) = %v, want %q", tt.give, err, tt.want)
			}
		})
	}
}
