package cors

import (
	"strings"
	"testing"
)

// Which request Origins an allowlist lets in: exact origins, wildcard
// subdomains, and the tricks that must never match.
func TestOriginsAllows(t *testing.T) {
	list := []string{
		"https://app.example.com",
		"https://*.example.com",
		"http://127.0.0.1:8080",
		"HTTPS://Upper.Example.ORG:443", // lowercased, default port dropped
		"https://*.example.net:8443",
		"http://[::1]:3000",
	}
	o, err := parseOrigins(list)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		give string
		want bool
	}{
		{"exact", "https://app.example.com", true},
		{"wildcard one label", "https://a.example.com", true},
		{"wildcard two labels", "https://a.b.example.com", true},
		{"exact with port", "http://127.0.0.1:8080", true},
		{"config normalised", "https://upper.example.org", true},
		{"wildcard with port", "https://api.example.net:8443", true},
		{"ipv6", "http://[::1]:3000", true},

		{"foreign", "https://evil.com", false},
		{"null", "null", false},
		{"empty", "", false},
		{"bare domain of a wildcard", "https://example.com", false},
		{"suffix trick: dash", "https://evil-example.com", false},
		{"suffix trick: no dot", "https://evilexample.com", false},
		{"suffix trick: appended domain", "https://example.com.evil.com", false},
		{"suffix trick: appended exact", "https://app.example.com.evil.com", false},
		{"other scheme", "http://a.example.com", false},
		{"other scheme exact", "http://app.example.com", false},
		{"other port", "https://a.example.com:8443", false},
		{"explicit default port", "https://a.example.com:443", false},
		{"other port exact", "http://127.0.0.1:8081", false},
		{"no port where one is required", "https://api.example.net", false},
		{"upper case", "https://A.example.com", false},
		{"trailing slash", "https://app.example.com/", false},
		{"path", "https://evil.com/.example.com", false},
		{"user info", "https://evil.com@a.example.com", false},
		{"empty label", "https://.example.com", false},
		{"double dot", "https://a..example.com", false},
		{"trailing dot", "https://a.example.com.", false},
		{"wildcard sent literally", "https://*.example.com", false},
		{"underscore", "https://a_b.example.com", false},
		{"space", "https://a b.example.com", false},
		{"leading zero port", "https://api.example.net:08443", false},
		{"ipv6 other port", "http://[::1]:3001", false},
		{"no scheme", "app.example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := o.allows(tt.give); got != tt.want {
				t.Errorf("allows(%q) = %v, want %v", tt.give, got, tt.want)
			}
		})
	}
}

// "*" lets every origin in, and that is all it does.
func TestOriginsAny(t *testing.T) {
	o, err := parseOrigins([]string{"*"})
	if err != nil || !o.allows("https://anything.test") {
		t.Fatalf(`parseOrigins(["*"]) = %v, %v; want an allowlist that allows anything`, o, err)
	}
}

// Configured origins that are refused, each with a reason.
func TestParseOriginsRejects(t *testing.T) {
	tests := []struct {
		name string
		give []string
		want string
	}{
		{"null", []string{"null"}, `"null" cannot be allowed`},
		{"no scheme", []string{"example.com"}, "want scheme://host"},
		{"path", []string{"https://example.com/app"}, "no path"},
		{"trailing slash", []string{"https://example.com/"}, "no path"},
		{"user info", []string{"https://u@example.com"}, "user info"},
		{"bad port", []string{"https://example.com:99999"}, "bad port"},
		{"empty port", []string{"https://example.com:"}, "bad port"},
		{"wildcard without dot", []string{"https://*example.com"}, "bad host"},
		{"wildcard tld", []string{"https://*.com"}, "two labels or more"},
		{"wildcard in the middle", []string{"https://a.*.example.com"}, "bad host"},
		{"wildcard alone", []string{"https://*"}, "bad host"},
		{"star among others", []string{"*", "https://a.example.com"}, "only origin"},
		{"bad scheme", []string{"1http://example.com"}, "bad scheme"},
		{"empty host", []string{"https://"}, "bad host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseOrigins(tt.give)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseOrigins(%q) = %v, want an error containing %q", tt.give, err, tt.want)
			}
		})
	}
}
