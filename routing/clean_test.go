package routing

import (
	"errors"
	"testing"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"empty", "", "/"},
		{"root", "/", "/"},
		{"canonical", "/a/b", "/a/b"},
		{"double slashes", "//a//b", "/a/b"},
		{"only slashes", "///", "/"},
		{"dot", "/./a", "/a"},
		{"trailing dot", "/a/.", "/a"},
		{"dotdot", "/a/../b", "/b"},
		{"dotdot at root", "/../a", "/a"},
		{"many dotdots", "/a/b/../../../c", "/c"},
		{"encoded dotdot lower", "/a/%2e%2e/b", "/b"},
		{"encoded dotdot mixed", "/a/%2E%2e/b", "/b"},
		{"half encoded dotdot", "/a/%2E./b", "/b"},
		{"encoded dot", "/a/%2e/b", "/a/b"},
		{"trailing slash", "/a/b/", "/a/b"},
		{"encoded slash stays", "/a%2Fb", "/a%2Fb"},
		{"encoded slash lower hex", "/a%2fb", "/a%2Fb"},
		{"encoded dotdot with slash is one segment", "/a/..%2Fb", "/a/..%2Fb"},
		{"encoded percent", "/a%25b", "/a%25b"},
		{"encoded percent of escape", "/a%252e%252e", "/a%252e%252e"},
		{"decodes unreserved", "/%61%62", "/ab"},
		{"decodes space", "/a%20b", "/a b"},
		{"decodes utf8", "/caf%C3%A9", "/café"},
		{"case kept", "/Admin/X", "/Admin/X"},
		{"triple dot is a name", "/.../a", "/.../a"},
		{"dotfile is a name", "/.git", "/.git"},
		{"backslash is a name", "/a\\..", "/a\\.."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Clean(tt.give); got != tt.want || err != nil {
				t.Errorf("Clean(%q) = %q, %v, want %q, nil", tt.give, got, err, tt.want)
			}
		})
	}
}

func TestCleanBadPath(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{"relative", "a/b"},
		{"asterisk", "*"},
		{"invalid escape", "/%zz"},
		{"truncated escape", "/%4"},
		{"lone percent", "/a%"},
		{"escape across slash", "/a%2/b"},
		{"NUL", "/a%00"},
		{"encoded newline", "/a%0Ab"},
		{"encoded DEL", "/a%7f"},
		{"raw control", "/a\x01"},
		{"raw DEL", "/a\x7f"},
		{"bad segment later removed", "/%zz/.."},
		{"NUL segment later removed", "/a/%00/../b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Clean(tt.give); !errors.Is(err, ErrBadPath) {
				t.Errorf("Clean(%q) = %q, %v, want error wrapping ErrBadPath", tt.give, got, err)
			}
		})
	}
}

func TestLookupNormalisation(t *testing.T) {
	tab := newTable(t,
		route3{"GET", "/a"},
		route3{"GET", "/a/b"},
		route3{"GET", "/b"},
		route3{"GET", "/admin/users"},
		route3{"GET", "/admin%2Fusers"},
		route3{"GET", "/admin"},
	)
	runLookups(t, tab, []lookupCase{
		{"double slashes", "GET", "//a//b", found("/a/b", "/a/b", "")},
		{"dot", "GET", "/./a", found("/a", "/a", "")},
		{"dotdot", "GET", "/a/../b", found("/b", "/b", "")},
		{"dotdot at root", "GET", "/../a", found("/a", "/a", "")},
		{"encoded dotdot", "GET", "/a/%2e%2e/b", found("/b", "/b", "")},
		{"encoded dotdot mixed case", "GET", "/a/%2E%2e/b", found("/b", "/b", "")},
		{"trailing dot", "GET", "/a/.", found("/a", "/a", "")},
		{"encoded slash is one segment", "GET", "/admin%2Fusers", found("/admin%2Fusers", "/admin%2Fusers", "")},
		{"real slash", "GET", "/admin/users", found("/admin/users", "/admin/users", "")},
		{"encoded slash unregistered", "GET", "/a%2Fb", notFound("/a%2Fb")},
		{"encoded letters", "GET", "/%61", found("/a", "/a", "")},
		{"invalid escape", "GET", "/%zz", bad},
		{"NUL", "GET", "/a%00", bad},
		{"relative", "GET", "a", bad},
		{"case sensitive", "GET", "/Admin", notFound("/Admin")},
		{"case sensitive escape", "GET", "/%41dmin", notFound("/Admin")},
	})
}
