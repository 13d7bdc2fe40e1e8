package compress

import (
	"fmt"
	"strings"
)

// types decides which media types are compressible.
type types struct {
	exact map[string]bool // "application/json"
	major map[string]bool // "text" for "text/*"
}

// builtin are the compressible types beyond text/* and the +json, +xml
// and +yaml suffixes. Formats that are already compressed (images other
// than SVG, audio, video, archives, woff2) are not.
var builtin = []string{
	"application/json", "application/javascript", "application/ecmascript", "application/x-javascript",
	"application/xml", "application/x-ndjson", "application/yaml", "application/x-yaml", "application/toml",
	"application/wasm", "application/graphql", "application/x-www-form-urlencoded",
	"image/svg+xml", "image/x-icon", "image/vnd.microsoft.icon", "image/bmp",
	"font/ttf", "font/otf", "application/vnd.ms-fontobject",
}

func newTypes(extra []string) (types, error) {
	t := types{exact: map[string]bool{}, major: map[string]bool{"text": true}}
	for _, s := range builtin {
		t.exact[s] = true
	}
	for _, s := range extra {
		mt := strings.ToLower(strings.TrimSpace(s))
		major, minor, ok := strings.Cut(mt, "/")
		if !ok || !token(major) || minor != "*" && !token(minor) {
			return types{}, fmt.Errorf("types: %q is not a media type such as application/x-custom or text/*", s)
		}
		if minor == "*" {
			t.major[major] = true
		} else {
			t.exact[mt] = true
		}
	}
	return t, nil
}

// compressible reports whether a body of Content-Type ct is worth
// compressing. An absent or malformed type is not: the stage does not
// guess.
func (t types) compressible(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	major, minor, ok := strings.Cut(mt, "/")
	if !ok || major == "" || minor == "" {
		return false
	}
	return t.major[major] || t.exact[mt] ||
		strings.HasSuffix(minor, "+json") || strings.HasSuffix(minor, "+xml") || strings.HasSuffix(minor, "+yaml")
}

// token reports whether s is an RFC 9110 token.
func token(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
