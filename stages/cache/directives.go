package cache

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// directives are the Cache-Control directives of a request or response,
// names in lower case, each with its argument ("" if it has none).
type directives map[string]string

// parseDirectives parses the Cache-Control header lines of h (RFC 9111
// §5.2): comma-separated directives, each a token with an optional
// "=argument", the argument a token or a quoted string (which may hold
// commas). Malformed members are skipped; the first of a repeated
// directive wins.
func parseDirectives(h http.Header) directives {
	lines := h.Values("Cache-Control")
	if len(lines) == 0 {
		return nil
	}
	d := directives{}
	for _, line := range lines {
		for len(line) > 0 {
			var member string
			member, line = nextMember(line)
			name, arg, _ := strings.Cut(member, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			arg = strings.TrimSpace(arg)
			if len(arg) >= 2 && arg[0] == '"' && arg[len(arg)-1] == '"' {
				arg = strings.ReplaceAll(arg[1:len(arg)-1], `\`, "")
			}
			if _, seen := d[name]; !seen {
				d[name] = arg
			}
		}
	}
	return d
}

// nextMember splits s at its first comma outside a quoted string.
func nextMember(s string) (member, rest string) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// has reports whether directive name is present.
func (d directives) has(name string) bool {
	_, ok := d[name]
	return ok
}

// seconds returns directive name's argument as a duration, and whether the
// directive is present. An argument that is not a non-negative integer
// counts as 0 (RFC 9111 §4.2.1: treat an invalid freshness as stale);
// one too large for a Duration is capped.
func (d directives) seconds(name string) (time.Duration, bool) {
	arg, ok := d[name]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(arg, 10, 63)
	if err != nil {
		if ne, isNum := err.(*strconv.NumError); isNum && ne.Err == strconv.ErrRange {
			return time.Duration(1<<63 - 1), true
		}
		return 0, true
	}
	if n > uint64((1<<63-1)/time.Second) {
		return time.Duration(1<<63 - 1), true
	}
	return time.Duration(n) * time.Second, true
}
