package cache

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/pipeline"
)

func TestPrimaryKey(t *testing.T) {
	tests := []struct {
		name   string
		method string
		target string
		host   string
		path   string // the canonical path; "" leaves the request's
		want   requestKey
	}{
		{name: "plain", method: "GET", target: "/a", want: requestKey{primary: "GET example.com/a?", ok: true}},
		{name: "head is get", method: "HEAD", target: "/a", want: requestKey{primary: "GET example.com/a?", ok: true}},
		{name: "query sorted", method: "GET", target: "/a?b=2&a=1", want: requestKey{primary: "GET example.com/a?a=1&b=2", ok: true}},
		{name: "values keep order", method: "GET", target: "/a?x=2&x=1", want: requestKey{primary: "GET example.com/a?x=2&x=1", ok: true}},
		{name: "escaping canonical", method: "GET", target: "/a?a=%31&b=x+y", want: requestKey{primary: "GET example.com/a?a=1&b=x+y", ok: true}},
		{name: "host lower-cased", method: "GET", target: "/a", host: "EXAMPLE.com", want: requestKey{primary: "GET example.com/a?", ok: true}},
		{name: "canonical path", method: "GET", target: "/x/../a", path: "/a", want: requestKey{primary: "GET example.com/a?", ok: true}},
		{name: "bad query", method: "GET", target: "/a?x=%zz", want: requestKey{primary: "GET example.com/a?x=%zz", ok: false}},
		{name: "post", method: "POST", target: "/a?x=1", want: requestKey{primary: "POST /a", ok: false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			if tt.host != "" {
				r.Host = tt.host
			}
			ex := pipeline.NewExchange(t.Context(), r, nil)
			ex.Path = tt.path
			if got := primaryKey(ex); got != tt.want {
				t.Errorf("primaryKey(%s %s) = %+v, want %+v", tt.method, tt.target, got, tt.want)
			}
		})
	}
}

// TestKeyIsKept checks that the partition key does not change when a later
// stage rewrites the request: the after-phase must reach the same actor.
func TestKeyIsKept(t *testing.T) {
	s := &shared{keys: actors.NewKey[requestKey]("k")}
	ex := pipeline.NewExchange(t.Context(), httptest.NewRequest("GET", "/a?x=1", nil), nil)
	before := s.partitionKey(ex)
	ex.Request.URL.RawQuery = "x=2"
	ex.Path = "/elsewhere"
	if after := s.partitionKey(ex); after != before {
		t.Errorf("partitionKey after a rewrite = %q, want %q as before", after, before)
	}
}

func TestVary(t *testing.T) {
	tests := []struct {
		name     string
		give     []string // Vary lines
		wantN    []string
		wantStar bool
	}{
		{name: "none", give: nil, wantN: nil},
		{name: "one", give: []string{"accept-language"}, wantN: []string{"Accept-Language"}},
		{name: "sorted and deduplicated", give: []string{"Origin, Accept", "accept"}, wantN: []string{"Accept", "Origin"}},
		{name: "star", give: []string{"Accept, *"}, wantN: []string{"Accept"}, wantStar: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.give {
				h.Add("Vary", v)
			}
			got, star := varyNames(h)
			if !slices.Equal(got, tt.wantN) || star != tt.wantStar {
				t.Errorf("varyNames(%q) = %q, %v; want %q, %v", tt.give, got, star, tt.wantN, tt.wantStar)
			}
		})
	}
}

func TestVaryValues(t *testing.T) {
	h := http.Header{}
	h.Add("Accept", "text/html ,  application/json")
	h.Add("Accept", "*/*")
	h.Set("X-Empty", "")
	got := varyValues(h, []string{"Accept", "X-Empty", "X-Absent"})
	want := []string{"text/html,application/json,*/*", "", absent}
	if !slices.Equal(got, want) {
		t.Errorf("varyValues = %q, want %q", got, want)
	}
}
