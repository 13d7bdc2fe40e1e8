package cache

import (
	"maps"
	"net/http"
	"testing"
	"time"
)

func TestParseDirectives(t *testing.T) {
	tests := []struct {
		name string
		give []string
		want directives
	}{
		{name: "none", give: nil, want: nil},
		{name: "simple", give: []string{"max-age=60, public"}, want: directives{"max-age": "60", "public": ""}},
		{name: "case and spaces", give: []string{" No-Store ,  MAX-AGE = 5 "}, want: directives{"no-store": "", "max-age": "5"}},
		{name: "several lines", give: []string{"private", "s-maxage=10"}, want: directives{"private": "", "s-maxage": "10"}},
		{name: "quoted comma", give: []string{`private="Set-Cookie, X-A", max-age=3`}, want: directives{"private": "Set-Cookie, X-A", "max-age": "3"}},
		{name: "quoted max-age", give: []string{`max-age="7"`}, want: directives{"max-age": "7"}},
		{name: "first wins", give: []string{"max-age=1, max-age=9"}, want: directives{"max-age": "1"}},
		{name: "empty members", give: []string{",,no-cache,,"}, want: directives{"no-cache": ""}},
		{name: "unterminated quote", give: []string{`private="a, max-age=3`}, want: directives{"private": `"a, max-age=3`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.give {
				h.Add("Cache-Control", v)
			}
			if got := parseDirectives(h); !maps.Equal(got, tt.want) {
				t.Errorf("parseDirectives(%q) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

func TestSeconds(t *testing.T) {
	const forever = time.Duration(1<<63 - 1)
	tests := []struct {
		name   string
		give   directives
		want   time.Duration
		wantOK bool
	}{
		{name: "absent", give: directives{}, want: 0, wantOK: false},
		{name: "zero", give: directives{"max-age": "0"}, want: 0, wantOK: true},
		{name: "sixty", give: directives{"max-age": "60"}, want: time.Minute, wantOK: true},
		{name: "negative is stale", give: directives{"max-age": "-1"}, want: 0, wantOK: true},
		{name: "garbage is stale", give: directives{"max-age": "soon"}, want: 0, wantOK: true},
		{name: "empty is stale", give: directives{"max-age": ""}, want: 0, wantOK: true},
		{name: "huge is capped", give: directives{"max-age": "99999999999999999999999"}, want: forever, wantOK: true},
		{name: "large is capped", give: directives{"max-age": "9223372037"}, want: forever, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.give.seconds("max-age")
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("seconds(%q) = %v, %v; want %v, %v", tt.give, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
