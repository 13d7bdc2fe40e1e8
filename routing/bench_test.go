package routing

import "testing"

var benchRoutes = []route3{
	{"GET", "/"},
	{"GET", "/healthz"},
	{"GET", "/api/v1/users"},
	{"POST", "/api/v1/users"},
	{"GET", "/api/v1/users/{id}"},
	{"GET", "/api/v1/users/{id}/posts/{post}"},
	{"GET", "/api/v1/orders/{id}"},
	{"GET", "/static/{path...}"},
	{"GET", "/admin/{rest...}"},
}

func benchLookup(b *testing.B, path, pattern string) {
	tab := newTable(b, benchRoutes...)
	if m, o := tab.Lookup("GET", path); o != Found || m.Pattern != pattern {
		b.Fatalf("Lookup(%q, %q) = %v %q, want Found %q", "GET", path, o, m.Pattern, pattern)
	}
	b.ReportAllocs()
	for b.Loop() {
		tab.Lookup("GET", path)
	}
}

func BenchmarkLookupStatic(b *testing.B) {
	benchLookup(b, "/api/v1/users", "/api/v1/users")
}

func BenchmarkLookupParam(b *testing.B) {
	benchLookup(b, "/api/v1/users/42/posts/7", "/api/v1/users/{id}/posts/{post}")
}

func BenchmarkLookupWildcard(b *testing.B) {
	benchLookup(b, "/static/css/site/main.css", "/static/{path...}")
}

func BenchmarkLookupCleaning(b *testing.B) {
	benchLookup(b, "/api//v1/./users/%34%32/../42/", "/api/v1/users/{id}")
}

func BenchmarkClean(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Clean("/static/a/../b/%2e%2e/c%20d/")
	}
}
