package routing

import (
	"strings"
	"testing"
)

// TestSecurityCanonicalRoute checks that however a path is spelled, the route
// is chosen from its canonical form: a path whose canonical form is under
// /admin yields the /admin pattern, and never /public or the catch-all.
func TestSecurityCanonicalRoute(t *testing.T) {
	tab := newTable(t,
		route3{"GET", "/admin/{rest...}"},
		route3{"GET", "/public/{rest...}"},
		route3{"GET", "/{other...}"},
	)
	tests := []struct {
		name string
		path string
		want result
	}{
		{"dotdot out of public", "/public/../admin/x", found("/admin/{rest...}", "/admin/x", "rest=x")},
		{"encoded dotdot out of public", "/public/%2e%2e/admin/x", found("/admin/{rest...}", "/admin/x", "rest=x")},
		{"upper encoded dotdot", "/public/%2E%2E/admin/x", found("/admin/{rest...}", "/admin/x", "rest=x")},
		{"double slash", "//admin/x", found("/admin/{rest...}", "/admin/x", "rest=x")},
		{"dot", "/./admin/x", found("/admin/{rest...}", "/admin/x", "rest=x")},
		{"dotdot above root", "/../../admin/x", found("/admin/{rest...}", "/admin/x", "rest=x")},
		{"encoded letters", "/%61dmin/x", found("/admin/{rest...}", "/admin/x", "rest=x")},
		{"trailing dotdot into admin", "/admin/x/..", found("/admin/{rest...}", "/admin", "rest=")},
		{"encoded slash dotdot stays in public", "/public/..%2Fadmin/x", found("/public/{rest...}", "/public/..%2Fadmin/x", "rest=..%2Fadmin/x")},
		{"encoded slash is not a separator", "/admin%2Fx", found("/{other...}", "/admin%2Fx", "other=admin%2Fx")},
		{"case differs", "/Admin/x", found("/{other...}", "/Admin/x", "other=Admin/x")},
		{"dotdot out of admin", "/admin/../public/x", found("/public/{rest...}", "/public/x", "rest=x")},
		{"double encoded dotdot", "/public/%252e%252e/admin/x", found("/public/{rest...}", "/public/%252e%252e/admin/x", "rest=%252e%252e/admin/x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lookup(tab, "GET", tt.path)
			if got != tt.want {
				t.Errorf("Lookup(%q, %q) = %v, want %v", "GET", tt.path, got, tt.want)
			}
			first, _, _ := strings.Cut(strings.TrimPrefix(got.Path, "/"), "/")
			underAdmin := first == "admin"
			if underAdmin != strings.HasPrefix(got.Pattern, "/admin/") {
				t.Errorf("Lookup(%q, %q) = %v: canonical first segment %q disagrees with pattern", "GET", tt.path, got, first)
			}
		})
	}
}
