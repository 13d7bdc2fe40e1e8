package httpin

import (
	"strings"
	"testing"
)

func TestValidRequestID(t *testing.T) {
	tests := []struct {
		name string
		give string
		want bool
	}{
		{"uuid", "3f2b8c1e-9d4a-4c1b-8f0e-6a7b5c4d3e2f", true},
		{"dotted and colons", "svc.a:42_x", true},
		{"empty", "", false},
		{"too long", strings.Repeat("a", 129), false},
		{"longest kept", strings.Repeat("a", 128), true},
		{"newline (log forging)", "abc\ninjected", false},
		{"quote", `abc"`, false},
		{"space", "a b", false},
		{"non-ascii", "héllo", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validRequestID(tt.give); got != tt.want {
				t.Errorf("validRequestID(%q) = %v, want %v", tt.give, got, tt.want)
			}
		})
	}
}

func TestRequestIDsAreUniqueAndValid(t *testing.T) {
	g := newRequestIDs()
	seen := map[string]bool{}
	for range 10000 {
		id := g.next()
		if !validRequestID(id) {
			t.Fatalf("generated id %q is not one the ingress would keep", id)
		}
		if seen[id] {
			t.Fatalf("id %q generated twice", id)
		}
		seen[id] = true
	}
	if a, b := newRequestIDs().next(), newRequestIDs().next(); a == b {
		t.Errorf("two generators made the same first id %q", a)
	}
}
