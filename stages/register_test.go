package stages_test

import (
	"strings"
	"testing"

	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages"
	"go.yaml.in/yaml/v3"
)

// minimalOptions are the least options each catalogue kind builds from.
var minimalOptions = map[string]string{
	"access_log":       "",
	"api_key":          "keys: {ci: {key: ci-key-0123456789abcdef}}",
	"breaker":          "",
	"basic_auth":       "users: {ops: {password_sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8}}",
	"cache":            "",
	"client_ip":        "",
	"compress":         "",
	"cors":             "allowed_origins: [https://app.example.com]",
	"envelope":         "",
	"jwt":              "keys: {main: {alg: HS256, secret: " + strings.Repeat("k", 32) + "}}",
	"maintenance":      "",
	"rate_limit":       "rate: 10",
	"require":          "",
	"security_headers": "",
	"server_timing":    "",
	"throttle":         "limit: 1",
	"timeout":          "timeout: 1s",
	"validate":         "",
}

// Every kind of the catalogue builds, through its package's New, a valid
// Spec that carries the stage's name and the priority `server -kinds`
// prints for the kind: the package's one Priority.
func TestKindsCarryTheirPriority(t *testing.T) {
	var reg config.Registry
	stages.Register(&reg)
	for _, kind := range reg.StageKinds() {
		t.Run(kind, func(t *testing.T) {
			src, ok := minimalOptions[kind]
			if !ok {
				t.Fatalf("kind %s has no minimal options in this test: add them", kind)
			}
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(src), &n); err != nil {
				t.Fatal(err)
			}
			k, _ := reg.Stage(kind)
			spec, err := k.New("x-"+kind, config.NewOptions(kind+".yaml", &n))
			if err != nil {
				t.Fatalf("New(%q) = %v", src, err)
			}
			if err := spec.Validate(); err != nil {
				t.Errorf("Spec.Validate() = %v", err)
			}
			if spec.Name != "x-"+kind || spec.Priority != k.Priority {
				t.Errorf("Spec = %q of priority %s; want %q of the kind's priority, %s", spec.Name, spec.Priority, "x-"+kind, k.Priority)
			}
		})
	}
	if len(reg.StageKinds()) != len(minimalOptions) {
		t.Errorf("the catalogue has %d kinds, this test lists %d", len(reg.StageKinds()), len(minimalOptions))
	}
}
