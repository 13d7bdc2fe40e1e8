package routing

import (
	"sync"
	"testing"
)

func TestLookupParams(t *testing.T) {
	tab := newTable(t,
		route3{"GET", "/"},
		route3{"GET", "/items/{id}"},
		route3{"GET", "/items/{id}/parts/{part}"},
		route3{"GET", "/files/{path...}"},
		route3{"GET", "/users/{user}/files/{rest...}"},
		route3{"GET", "/caf%C3%A9/{x}"},
	)
	runLookups(t, tab, []lookupCase{
		{"root", "GET", "/", found("/", "/", "")},
		{"empty path is root", "GET", "", found("/", "/", "")},
		{"one param", "GET", "/items/42", found("/items/{id}", "/items/42", "id=42")},
		{"two params", "GET", "/items/42/parts/7", found("/items/{id}/parts/{part}", "/items/42/parts/7", "id=42 part=7")},
		{"param is decoded", "GET", "/items/a%20b", found("/items/{id}", "/items/a b", "id=a b")},
		{"param with encoded slash", "GET", "/items/a%2Fb", found("/items/{id}", "/items/a%2Fb", "id=a/b")},
		{"param needs a segment", "GET", "/items", notFound("/items")},
		{"param matches one segment", "GET", "/items/1/2", notFound("/items/1/2")},
		{"wildcard one segment", "GET", "/files/a", found("/files/{path...}", "/files/a", "path=a")},
		{"wildcard many segments", "GET", "/files/a/b/c.txt", found("/files/{path...}", "/files/a/b/c.txt", "path=a/b/c.txt")},
		{"wildcard empty tail", "GET", "/files", found("/files/{path...}", "/files", "path=")},
		{"wildcard empty tail slash", "GET", "/files/", found("/files/{path...}", "/files", "path=")},
		{"wildcard keeps encoded slash", "GET", "/files/a%2F..%2Fb/c", found("/files/{path...}", "/files/a%2F..%2Fb/c", "path=a%2F..%2Fb/c")},
		{"wildcard after param", "GET", "/users/bob/files/x/y", found("/users/{user}/files/{rest...}", "/users/bob/files/x/y", "user=bob rest=x/y")},
		{"static text decoded", "GET", "/caf%c3%a9/1", found("/caf%C3%A9/{x}", "/café/1", "x=1")},
		{"static text raw utf8", "GET", "/café/1", found("/caf%C3%A9/{x}", "/café/1", "x=1")},
		{"unknown", "GET", "/nope", notFound("/nope")},
	})
}

func TestLookupRootWildcard(t *testing.T) {
	tab := newTable(t, route3{"GET", "/{path...}"}, route3{"GET", "/api/{v}"})
	runLookups(t, tab, []lookupCase{
		{"root", "GET", "/", found("/{path...}", "/", "path=")},
		{"one segment", "GET", "/a", found("/{path...}", "/a", "path=a")},
		{"deep", "GET", "/a/b/c", found("/{path...}", "/a/b/c", "path=a/b/c")},
		{"more specific wins", "GET", "/api/1", found("/api/{v}", "/api/1", "v=1")},
		{"backtracks to wildcard", "GET", "/api/1/2", found("/{path...}", "/api/1/2", "path=api/1/2")},
		{"static prefix alone", "GET", "/api", found("/{path...}", "/api", "path=api")},
	})
}

func TestLookupPrecedence(t *testing.T) {
	tab := newTable(t,
		route3{"GET", "/a/{x}/c"},
		route3{"GET", "/a/b/d"},
		route3{"GET", "/a/b"},
		route3{"GET", "/a/{x}"},
		route3{"GET", "/a/{x...}"},
		route3{"GET", "/s/{p}/{q}"},
		route3{"GET", "/s/x/{q...}"},
		route3{"GET", "/t"},
		route3{"GET", "/t/{rest...}"},
	)
	runLookups(t, tab, []lookupCase{
		{"static beats param", "GET", "/a/b", found("/a/b", "/a/b", "")},
		{"param beats wildcard", "GET", "/a/z", found("/a/{x}", "/a/z", "x=z")},
		{"static deeper", "GET", "/a/b/d", found("/a/b/d", "/a/b/d", "")},
		{"backtrack into param", "GET", "/a/b/c", found("/a/{x}/c", "/a/b/c", "x=b")},
		{"backtrack into wildcard", "GET", "/a/b/e", found("/a/{x...}", "/a/b/e", "x=b/e")},
		{"wildcard empty tail loses to node", "GET", "/t", found("/t", "/t", "")},
		{"wildcard", "GET", "/t/u", found("/t/{rest...}", "/t/u", "rest=u")},
		{"static then wildcard beats param", "GET", "/s/x/y", found("/s/x/{q...}", "/s/x/y", "q=y")},
		{"param pair", "GET", "/s/w/y", found("/s/{p}/{q}", "/s/w/y", "p=w q=y")},
	})
}

func TestLookupMethods(t *testing.T) {
	tab := newTable(t,
		route3{"GET", "/r"},
		route3{"POST", "/r"},
		route3{"PUT", "/only-put"},
		route3{"*", "/any"},
		route3{"GET", "/any"},
		route3{"GET", "/h"},
		route3{"HEAD", "/h"},
		route3{"OPTIONS", "/o"},
		route3{"DELETE", "/o"},
		route3{"POST", "/m/static"},
		route3{"GET", "/m/{x}"},
		route3{"DELETE", "/n/static"},
		route3{"PATCH", "/n/{x}"},
		route3{"PUT", "/n/{x...}"},
	)
	runLookups(t, tab, []lookupCase{
		{"get", "GET", "/r", found("/r", "/r", "")},
		{"post", "POST", "/r", found("/r", "/r", "")},
		{"head falls back to get", "HEAD", "/r", found("/r", "/r", "")},
		{"405 allow", "DELETE", "/r", notAllowed("/r", "GET, HEAD, POST")},
		{"405 no head without get", "GET", "/only-put", notAllowed("/only-put", "PUT")},
		{"method is case sensitive", "get", "/r", notAllowed("/r", "GET, HEAD, POST")},
		{"star any method", "BREW", "/any", found("/any", "/any", "")},
		{"star with head", "HEAD", "/any", found("/any", "/any", "")},
		{"explicit head", "HEAD", "/h", found("/h", "/h", "")},
		{"options listed when registered", "GET", "/o", notAllowed("/o", "DELETE, OPTIONS")},
		{"backtrack for method", "GET", "/m/static", found("/m/{x}", "/m/static", "x=static")},
		{"static still wins for its method", "POST", "/m/static", found("/m/static", "/m/static", "")},
		{"allow is union of matched nodes", "GET", "/n/static", notAllowed("/n/static", "DELETE, PATCH, PUT")},
		{"allow excludes unmatched nodes", "GET", "/n/a/b", notAllowed("/n/a/b", "PUT")},
		{"404 beats nothing", "GET", "/zzz", notFound("/zzz")},
	})
}

func TestLookupHeadSeparateFromGet(t *testing.T) {
	var tab Table[string]
	mustAdd(t, &tab, "GET", "/x", "get")
	mustAdd(t, &tab, "HEAD", "/x", "head")
	tests := []struct {
		name, method, want string
	}{
		{"get", "GET", "get"},
		{"head", "HEAD", "head"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if m, _ := tab.Lookup(tt.method, "/x"); m.Value != tt.want {
				t.Errorf("Lookup(%q, %q).Value = %q, want %q", tt.method, "/x", m.Value, tt.want)
			}
		})
	}
}

func TestLookupTrailingSlash(t *testing.T) {
	tab := newTable(t, route3{"GET", "/a/"}, route3{"GET", "/b"}, route3{"POST", "/b/"})
	runLookups(t, tab, []lookupCase{
		{"pattern slash, path none", "GET", "/a", found("/a/", "/a", "")},
		{"pattern slash, path slash", "GET", "/a/", found("/a/", "/a", "")},
		{"pattern none, path slash", "GET", "/b/", found("/b", "/b", "")},
		{"same node, other registration", "POST", "/b", found("/b/", "/b", "")},
	})
}

func TestLookupZeroTable(t *testing.T) {
	var tab Table[int]
	tests := []struct {
		name string
		path string
		want result
	}{
		{"root", "/", notFound("/")},
		{"path", "/a/../b", notFound("/b")},
		{"bad", "/%", bad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lookup(&tab, "GET", tt.path); got != tt.want {
				t.Errorf("Lookup(%q, %q) = %v, want %v", "GET", tt.path, got, tt.want)
			}
		})
	}
}

func TestLookupConcurrent(t *testing.T) {
	tab := newTable(t, route3{"GET", "/items/{id}"}, route3{"GET", "/files/{p...}"})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if m, o := tab.Lookup("GET", "/items/%31"); o != Found || m.Params.Get("id") != "1" {
					t.Errorf("Lookup(%q, %q) = %v %v, want Found id=1", "GET", "/items/%31", m, o)
				}
				tab.Lookup("GET", "/files/a/../b")
			}
		})
	}
	wg.Wait()
}

func mustAdd[T any](t *testing.T, tab *Table[T], method, pattern string, v T) {
	t.Helper()
	if err := tab.Add(method, pattern, v); err != nil {
		t.Fatalf("Add(%q, %q) = %v", method, pattern, err)
	}
}
