package routing

import (
	"strings"
	"testing"
)

// fuzzRoutes covers every kind of node and method handling.
var fuzzRoutes = []route3{
	{"GET", "/"},
	{"GET", "/a/{x}/c"},
	{"POST", "/a/b/d"},
	{"GET", "/a/b"},
	{"*", "/any/{x}"},
	{"GET", "/admin/{rest...}"},
	{"GET", "/public/{rest...}"},
	{"PUT", "/items/{id}/parts/{part}"},
	{"GET", "/a%2Fb"},
	{"DELETE", "/{other...}"},
}

func FuzzLookup(f *testing.F) {
	for _, s := range []string{
		"", "/", "//a//b", "/./a", "/a/../b", "/../a", "/a/%2e%2e/b", "/a/%2E%2e/b",
		"/a%2Fb", "/%zz", "/a%00", "/a/.", "/public/..%2Fadmin/x", "/admin%2Fx",
		"/a/b/c", "/items/1/parts/2", "/any/%25", "/a%252F", "/%2e", "a",
	} {
		f.Add("GET", s)
	}
	f.Add("HEAD", "/a/b")
	f.Add("POST", "/a/b/d/")
	tab := newTable(f, fuzzRoutes...)
	f.Fuzz(func(t *testing.T, method, path string) {
		m, o := tab.Lookup(method, path)
		c, err := Clean(path)
		if (err != nil) != (o == BadPath) {
			t.Fatalf("Lookup(%q, %q) = %v, but Clean(%q) error = %v", method, path, o, path, err)
		}
		if err != nil {
			return
		}
		if c2, err := Clean(c); c2 != c || err != nil {
			t.Fatalf("Clean(Clean(%q)) = %q, %v, want %q, nil", path, c2, err, c)
		}
		if m.Path != c {
			t.Fatalf("Lookup(%q, %q).Path = %q, want Clean = %q", method, path, m.Path, c)
		}
		if c != "/" && (strings.HasSuffix(c, "/") || strings.Contains(c, "//") ||
			strings.Contains(c+"/", "/./") || strings.Contains(c+"/", "/../")) {
			t.Fatalf("Clean(%q) = %q, not canonical", path, c)
		}
		if o != Found {
			return
		}
		m2, o2 := tab.Lookup(method, m.Path)
		if o2 != Found || m2.Pattern != m.Pattern || formatParams(m2.Params) != formatParams(m.Params) || m2.Path != m.Path {
			t.Fatalf("Lookup(%q, %q) = %v %+v, but Lookup(%q, %q) = %v %+v", method, path, o, m, method, m.Path, o2, m2)
		}
	})
}
