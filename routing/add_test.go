package routing

import (
	"strings"
	"testing"
)

func TestAddErrors(t *testing.T) {
	existing := []route3{
		{"GET", "/a/{x}"},
		{"GET", "/w/{rest...}"},
		{"GET", "/dup"},
	}
	tests := []struct {
		name    string
		method  string
		pattern string
		want    string // substring of the error
	}{
		{"empty pattern", "GET", "", "empty pattern"},
		{"relative pattern", "GET", "a/b", "does not start with"},
		{"empty segment", "GET", "/a//b", "empty segment"},
		{"dot segment", "GET", "/a/./b", "dot segment"},
		{"dotdot segment", "GET", "/a/../b", "dot segment"},
		{"encoded dotdot segment", "GET", "/a/%2e%2e", "dot segment"},
		{"bad escape", "GET", "/a%zz", "invalid percent escape"},
		{"control character", "GET", "/a%00", "control character"},
		{"unclosed brace", "GET", "/{id", "bad braces"},
		{"unopened brace", "GET", "/id}", "bad braces"},
		{"brace inside text", "GET", "/a{id}", "bad braces"},
		{"nested braces", "GET", "/{{id}}", "bad braces"},
		{"empty name", "GET", "/{}", "not an identifier"},
		{"empty wildcard name", "GET", "/{...}", "not an identifier"},
		{"name starts with digit", "GET", "/{1x}", "not an identifier"},
		{"name with dash", "GET", "/{a-b}", "not an identifier"},
		{"wildcard not last", "GET", "/{rest...}/x", "must be the last segment"},
		{"duplicate param", "GET", "/{x}/{x}", "duplicate parameter name \"x\""},
		{"duplicate param and wildcard", "GET", "/{x}/{x...}", "duplicate parameter name \"x\""},
		{"duplicate route", "GET", "/dup", `GET "/dup" is already registered as GET "/dup"`},
		{"duplicate route by trailing slash", "GET", "/dup/", `GET "/dup/" is already registered as GET "/dup"`},
		{"duplicate param route", "GET", "/a/{x}/", "already registered"},
		{"param name conflict", "GET", "/a/{y}/b", `parameter "y" at segment 2 conflicts with "x" of pattern "/a/{x}"`},
		{"wildcard name conflict", "POST", "/w/{tail...}", `wildcard "tail" at segment 2 conflicts with "rest" of pattern "/w/{rest...}"`},
		{"empty method", "", "/m", "invalid method"},
		{"lower-case method", "get", "/m", "invalid method"},
		{"method with space", "GE T", "/m", "invalid method"},
		{"method with slash", "GET/", "/m", "invalid method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := newTable(t, existing...)
			err := tab.Add(tt.method, tt.pattern, "new")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Add(%q, %q) = %v, want error containing %q", tt.method, tt.pattern, err, tt.want)
			}
		})
	}
}

func TestAddOK(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		pattern string
	}{
		{"root", "GET", "/"},
		{"same pattern other method", "POST", "/a/{x}"},
		{"same param name deeper", "GET", "/a/{x}/b"},
		{"wildcard beside param", "GET", "/a/{rest...}"},
		{"wildcard named like param", "GET", "/a/{x...}"},
		{"star method", "*", "/a/{x}"},
		{"dashed method", "M-SEARCH", "/ssdp"},
		{"encoded static", "GET", "/a%2Fb"},
		{"unicode name", "GET", "/u/{café}"},
		{"wildcard then trailing slash", "GET", "/t/{rest...}/"},
		{"encoded brace is text", "GET", "/%7Bx%7D"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := newTable(t, route3{"GET", "/a/{x}"})
			if err := tab.Add(tt.method, tt.pattern, "new"); err != nil {
				t.Errorf("Add(%q, %q) = %v, want nil", tt.method, tt.pattern, err)
			}
		})
	}
}

// TestAddErrorLeavesTableUnchanged checks that a rejected pattern leaves no
// nodes behind that would make later patterns conflict.
func TestAddErrorLeavesTableUnchanged(t *testing.T) {
	var tab Table[string]
	if err := tab.Add("GET", "/a/{x}/{x}", "bad"); err == nil {
		t.Fatalf("Add(%q, %q) = nil, want error", "GET", "/a/{x}/{x}")
	}
	mustAdd(t, &tab, "GET", "/a/{y}", "good")
	if got := lookup(&tab, "GET", "/a/1"); got != found("/a/{y}", "/a/1", "y=1") {
		t.Errorf("Lookup(%q, %q) = %v, want %v", "GET", "/a/1", got, found("/a/{y}", "/a/1", "y=1"))
	}
}
