package upstream

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/troupe-go/troupe/actors"
)

// rewrite makes the path sent upstream from the request's canonical path
// (actors.Exchange.Path: the path the route was matched on, so that the
// upstream sees what the stages decided on, never another spelling of it).
// Either it strips a prefix, or it fills a template with the route's
// parameters; with neither, the path goes as it is. The target's base path
// comes before the result.
type rewrite struct {
	strip    string  // a canonical prefix, without a trailing slash; "" for none
	template []piece // nil: no template
}

// piece is a part of a path template: literal text, or a parameter.
type piece struct {
	text  string // literal, already escaped
	param string // the parameter's name, or ""
	rest  bool   // a {name...} wildcard: its value is a canonical path
}

// newRewrite parses the strip_prefix and path options; at most one may be
// set.
func newRewrite(strip, template string) (*rewrite, error) {
	rw := &rewrite{}
	if strip != "" && template != "" {
		return nil, fmt.Errorf("strip_prefix and path cannot both be set")
	}
	if strip != "" {
		if !strings.HasPrefix(strip, "/") {
			return nil, fmt.Errorf("strip_prefix %q must start with \"/\"", strip)
		}
		rw.strip = strings.TrimSuffix(strip, "/")
	}
	if template != "" {
		if !strings.HasPrefix(template, "/") {
			return nil, fmt.Errorf("path %q must start with \"/\"", template)
		}
		for rest := template; rest != ""; {
			open := strings.IndexByte(rest, '{')
			if open < 0 {
				rw.template = append(rw.template, piece{text: rest})
				break
			}
			end := strings.IndexByte(rest[open:], '}')
			if end < 0 {
				return nil, fmt.Errorf("path %q: unclosed {", template)
			}
			if open > 0 {
				rw.template = append(rw.template, piece{text: rest[:open]})
			}
			name := rest[open+1 : open+end]
			p := piece{param: strings.TrimSuffix(name, "...")}
			p.rest = p.param != name
			if p.param == "" || strings.ContainsAny(p.param, "{}/") {
				return nil, fmt.Errorf("path %q: bad parameter {%s}", template, name)
			}
			rw.template = append(rw.template, p)
			rest = rest[open+end+1:]
		}
	}
	return rw, nil
}

// path returns the escaped path to send upstream for ex.
func (rw *rewrite) path(ex *actors.Exchange) string {
	if rw.template != nil {
		var b strings.Builder
		for _, p := range rw.template {
			switch {
			case p.param == "":
				b.WriteString(p.text)
			case p.rest:
				b.WriteString(escapeCanonical(ex.Params.Get(p.param)))
			default:
				b.WriteString(escapeSegment(ex.Params.Get(p.param)))
			}
		}
		return b.String()
	}
	canon := ex.Path
	if canon == "" { // an exchange that did not come through the router
		canon = ex.Request.URL.EscapedPath()
	}
	if rw.strip != "" && strings.HasPrefix(canon, rw.strip) {
		if rest := canon[len(rw.strip):]; rest == "" || rest[0] == '/' {
			canon = "/" + strings.TrimPrefix(rest, "/")
		}
	}
	return escapeCanonical(canon)
}

// escapeCanonical escapes a path in routing's canonical form (segments with
// only "%" and "/" escaped, as "%25" and "%2F") for the wire: each segment
// is decoded and escaped again with escapeSegment.
func escapeCanonical(canon string) string {
	if !needsEscape(canon, true) {
		return canon
	}
	segs := strings.Split(canon, "/")
	for i, s := range segs {
		if dec, err := url.PathUnescape(s); err == nil {
			s = dec
		}
		segs[i] = escapeSegment(s)
	}
	return strings.Join(segs, "/")
}

// escapeSegment escapes one decoded path segment: every byte but RFC 3986's
// pchar (unreserved, sub-delims, ":" and "@") is percent-encoded.
func escapeSegment(s string) string {
	if !needsEscape(s, false) {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if pchar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// needsEscape reports whether s has a byte escapeSegment would escape
// (other than "/" when slashes is set); a canonical path's "%" always
// needs a look.
func needsEscape(s string, slashes bool) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !pchar(c) && !(slashes && c == '/') {
			return true
		}
	}
	return false
}

// pchar reports whether c may appear unescaped in a path segment.
func pchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0
}
