package cache

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// strongETag returns a strong entity tag for body: its SHA-256, base64url
// without padding, quoted.
func strongETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:]) + `"`
}

// opaque returns the opaque-tag of an entity tag (the quoted part, quotes
// included) without its W/ prefix, and whether tag is well formed.
func opaque(tag string) (string, bool) {
	tag = strings.TrimPrefix(tag, "W/")
	if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' || strings.IndexByte(tag[1:len(tag)-1], '"') >= 0 {
		return "", false
	}
	return tag, true
}

// noneMatch reports whether an If-None-Match field (its lines) matches
// etag, the current representation's tag, so that the answer is 304: "*"
// matches any, otherwise one member must equal etag by the weak comparison
// of RFC 9110 §8.8.3.2 (the opaque tags are equal; W/ is ignored).
// Malformed members match nothing.
func noneMatch(lines []string, etag string) bool {
	cur, ok := opaque(etag)
	if !ok {
		return false
	}
	for _, line := range lines {
		for len(line) > 0 {
			line = strings.TrimLeft(line, " \t,")
			if line == "" {
				break
			}
			if line[0] == '*' {
				return true
			}
			// A member is W/"…" or "…"; an opaque-tag holds no '"' and
			// may hold commas, so find its closing quote.
			start := 0
			if strings.HasPrefix(line, "W/") {
				start = 2
			}
			if start >= len(line) || line[start] != '"' {
				_, line, _ = strings.Cut(line, ",") // malformed: skip the member
				continue
			}
			end := strings.IndexByte(line[start+1:], '"')
			if end < 0 {
				return false
			}
			tag := line[start : start+end+2]
			if tag == cur {
				return true
			}
			line = line[start+end+2:]
		}
	}
	return false
}
