package cache

import (
	"strings"
	"testing"
)

func TestStrongETag(t *testing.T) {
	a, b := strongETag([]byte("hello")), strongETag([]byte("hello!"))
	if a == b {
		t.Errorf("strongETag gave %s for two bodies", a)
	}
	if !strings.HasPrefix(a, `"`) || !strings.HasSuffix(a, `"`) || strings.HasPrefix(a, "W/") || len(a) != 45 {
		t.Errorf("strongETag(hello) = %s, want a quoted 43-character base64url tag", a)
	}
	if strings.ContainsAny(a[1:len(a)-1], `+/="`) {
		t.Errorf("strongETag(hello) = %s, want base64url without padding", a)
	}
	if a != strongETag([]byte("hello")) {
		t.Error("strongETag is not deterministic")
	}
}

func TestNoneMatch(t *testing.T) {
	tests := []struct {
		name string
		give []string // If-None-Match lines
		etag string
		want bool
	}{
		{name: "equal", give: []string{`"abc"`}, etag: `"abc"`, want: true},
		{name: "different", give: []string{`"abd"`}, etag: `"abc"`, want: false},
		{name: "absent", give: nil, etag: `"abc"`, want: false},
		{name: "star", give: []string{`*`}, etag: `"abc"`, want: true},
		{name: "list", give: []string{`"x", "y" ,"abc"`}, etag: `"abc"`, want: true},
		{name: "list without", give: []string{`"x", "y"`}, etag: `"abc"`, want: false},
		{name: "several lines", give: []string{`"x"`, `"abc"`}, etag: `"abc"`, want: true},
		{name: "weak request tag", give: []string{`W/"abc"`}, etag: `"abc"`, want: true},
		{name: "weak current tag", give: []string{`"abc"`}, etag: `W/"abc"`, want: true},
		{name: "both weak", give: []string{`W/"abc"`}, etag: `W/"abc"`, want: true},
		{name: "comma inside tag", give: []string{`"a,b"`}, etag: `"a,b"`, want: true},
		{name: "comma inside tag, no match", give: []string{`"a,b"`}, etag: `"a"`, want: false},
		{name: "unquoted member skipped", give: []string{`abc, "abc"`}, etag: `"abc"`, want: true},
		{name: "unquoted never matches", give: []string{`abc`}, etag: `"abc"`, want: false},
		{name: "unterminated", give: []string{`"abc`}, etag: `"abc"`, want: false},
		{name: "lower-case w is not weak", give: []string{`w/"abc"`}, etag: `"abc"`, want: false},
		{name: "current tag malformed", give: []string{`*`}, etag: `abc`, want: false},
		{name: "no current tag", give: []string{`*`}, etag: ``, want: false},
		{name: "empty tag", give: []string{`""`}, etag: `""`, want: true},
		{name: "garbage after tag", give: []string{`"x"junk, "abc"`}, etag: `"abc"`, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := noneMatch(tt.give, tt.etag); got != tt.want {
				t.Errorf("noneMatch(%q, %s) = %v, want %v", tt.give, tt.etag, got, tt.want)
			}
		})
	}
}
