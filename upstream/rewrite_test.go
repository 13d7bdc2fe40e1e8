package upstream

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/troupe-go/troupe/routing"
)

func TestRewritePath(t *testing.T) {
	tests := []struct {
		name     string
		strip    string
		template string
		canon    string
		params   []string
		want     string
	}{
		{name: "as is", canon: "/items/42", want: "/items/42"},
		{name: "escaped for the wire", canon: "/a b/c%2Fd/100%25/é", want: "/a%20b/c%2Fd/100%25/%C3%A9"},
		{name: "sub-delims stay", canon: "/a,b;c=d:e@f", want: "/a,b;c=d:e@f"},
		{name: "strip", strip: "/api", canon: "/api/items", want: "/items"},
		{name: "strip with a slash", strip: "/api/", canon: "/api/items", want: "/items"},
		{name: "strip all", strip: "/api", canon: "/api", want: "/"},
		{name: "strip only on a segment boundary", strip: "/api", canon: "/apix/items", want: "/apix/items"},
		{name: "strip absent", strip: "/api", canon: "/other", want: "/other"},
		{name: "template", template: "/v2/{id}", params: []string{"id", "a/b c"}, want: "/v2/a%2Fb%20c"},
		{name: "template wildcard", template: "/files/{rest...}", params: []string{"rest", "x/y%2Fz/é"}, want: "/files/x/y%2Fz/%C3%A9"},
		{name: "template missing param", template: "/v2/{id}/x", want: "/v2//x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rw, err := newRewrite(tt.strip, tt.template)
			if err != nil {
				t.Fatal(err)
			}
			ex := exchange(t.Context(), http.MethodGet, "/ignored", nil, time.Second)
			ex.Path, ex.Params = tt.canon, routing.ParamsOf(tt.params...)
			if got := rw.path(ex); got != tt.want {
				t.Errorf("path(%q) = %q, want %q", tt.canon, got, tt.want)
			}
		})
	}
}

func TestRewriteErrors(t *testing.T) {
	tests := []struct{ strip, template string }{
		{strip: "/a", template: "/b"},
		{strip: "a"},
		{template: "b"},
		{template: "/a/{id"},
		{template: "/a/{}"},
		{template: "/a/{x/y}"},
	}
	for _, tt := range tests {
		if _, err := newRewrite(tt.strip, tt.template); err == nil {
			t.Errorf("newRewrite(%q, %q) = nil error", tt.strip, tt.template)
		}
	}
}

func TestTargetURL(t *testing.T) {
	tests := []struct{ base, escaped, want string }{
		{base: "http://h:1", escaped: "/x", want: "http://h:1/x?q=1"},
		{base: "http://h:1/", escaped: "/x", want: "http://h:1/x?q=1"},
		{base: "http://h:1/base/", escaped: "/x%2Fy", want: "http://h:1/base/x%2Fy?q=1"},
		{base: "http://h:1/b%20c", escaped: "/x y", want: "http://h:1/b%20c/x%20y?q=1"},
		{base: "http://h:1", escaped: "", want: "http://h:1/?q=1"},
	}
	for _, tt := range tests {
		base, err := parseTarget(tt.base)
		if err != nil {
			t.Fatal(err)
		}
		path := tt.escaped
		if dec, err := url.PathUnescape(tt.escaped); err == nil {
			path = dec
		}
		if got := targetURL(base, tt.escaped, path, "q=1").String(); got != tt.want {
			t.Errorf("targetURL(%s, %s) = %s, want %s", tt.base, tt.escaped, got, tt.want)
		}
	}
}
