package routing

import "testing"

// TestLookupAllocs checks the hot-path promise: no allocation for a static
// match on a canonical path, one for the parameters of a param match.
func TestLookupAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	tab := newTable(t, benchRoutes...)
	tests := []struct {
		name   string
		method string
		path   string
		want   float64
	}{
		{"static", "GET", "/api/v1/users", 0},
		{"static head", "HEAD", "/healthz", 0},
		{"root", "GET", "/", 0},
		{"param", "GET", "/api/v1/users/42/posts/7", 1},
		{"wildcard", "GET", "/static/a/b/c", 1},
		{"not found", "GET", "/nope/x", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := testing.AllocsPerRun(100, func() { tab.Lookup(tt.method, tt.path) })
			if got != tt.want {
				t.Errorf("Lookup(%q, %q) allocs = %v, want %v", tt.method, tt.path, got, tt.want)
			}
		})
	}
}
