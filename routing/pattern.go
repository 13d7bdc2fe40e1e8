package routing

import (
	"fmt"
	"strings"
	"unicode"
)

// patKind is the kind of a pattern segment.
type patKind uint8

const (
	patStatic patKind = iota
	patParam
	patWild
)

// patSeg is one parsed pattern segment: decoded static text, or the name of
// a parameter or wildcard tail.
type patSeg struct {
	kind patKind
	text string
}

// parsePattern splits a pattern into segments and validates its syntax. The
// root pattern "/" has no segments.
func parsePattern(pattern string) ([]patSeg, error) {
	if pattern == "" {
		return nil, fmt.Errorf("routing: empty pattern")
	}
	if pattern[0] != '/' {
		return nil, fmt.Errorf("routing: pattern %q does not start with \"/\"", pattern)
	}
	body := strings.TrimSuffix(pattern[1:], "/")
	if body == "" {
		return nil, nil
	}
	parts := strings.Split(body, "/")
	segs := make([]patSeg, 0, len(parts))
	seen := make(map[string]bool)
	for i, part := range parts {
		seg, err := parseSegment(pattern, part)
		if err != nil {
			return nil, err
		}
		if seg.kind == patStatic {
			segs = append(segs, seg)
			continue
		}
		if seg.kind == patWild && i != len(parts)-1 {
			return nil, fmt.Errorf("routing: pattern %q: wildcard %q must be the last segment", pattern, part)
		}
		if seen[seg.text] {
			return nil, fmt.Errorf("routing: pattern %q: duplicate parameter name %q", pattern, seg.text)
		}
		seen[seg.text] = true
		segs = append(segs, seg)
	}
	return segs, nil
}

// parseSegment parses one segment of pattern.
func parseSegment(pattern, part string) (patSeg, error) {
	if !strings.ContainsAny(part, "{}") {
		if part == "" {
			return patSeg{}, fmt.Errorf("routing: pattern %q has an empty segment", pattern)
		}
		text, kind, reason := decodeSegment(part)
		if reason != "" {
			return patSeg{}, fmt.Errorf("routing: pattern %q: segment %q: %s", pattern, part, reason)
		}
		if kind != segNormal {
			return patSeg{}, fmt.Errorf("routing: pattern %q has a dot segment %q, which no canonical path contains", pattern, part)
		}
		return patSeg{kind: patStatic, text: text}, nil
	}
	inner, ok := strings.CutPrefix(part, "{")
	if ok {
		inner, ok = strings.CutSuffix(inner, "}")
	}
	if !ok || strings.ContainsAny(inner, "{}") {
		return patSeg{}, fmt.Errorf("routing: pattern %q: bad braces in segment %q: a parameter must be a whole segment like {name} or {name...}", pattern, part)
	}
	kind := patParam
	if name, wild := strings.CutSuffix(inner, "..."); wild {
		kind, inner = patWild, name
	}
	if !validName(inner) {
		return patSeg{}, fmt.Errorf("routing: pattern %q: segment %q: parameter name %q is not an identifier", pattern, part, inner)
	}
	return patSeg{kind: kind, text: inner}, nil
}

// validName reports whether name is a Go identifier.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		if r != '_' && !unicode.IsLetter(r) && (i == 0 || !unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// checkMethod validates a method: "*", or an upper-case token of letters,
// digits, '-' and '_' starting with a letter.
func checkMethod(method string) error {
	if method == "*" {
		return nil
	}
	ok := method != "" && 'A' <= method[0] && method[0] <= 'Z'
	for i := 0; ok && i < len(method); i++ {
		c := method[i]
		ok = 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
	}
	if !ok {
		return fmt.Errorf("routing: invalid method %q: want \"*\" or an upper-case token such as \"GET\"", method)
	}
	return nil
}
