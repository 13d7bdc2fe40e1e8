package routing

import "strings"

// segment is one decoded path segment and where it starts in the canonical
// path.
type segment struct {
	s   string // decoded text
	off int    // offset of the segment's first byte in the canonical path
}

// segKind classifies a decoded path segment for dot-segment removal.
type segKind uint8

const (
	segNormal segKind = iota
	segEmpty
	segDot
	segDotDot
)

// rawSeg describes one still-escaped segment p[start:end] of a path.
type rawSeg struct {
	start, end int
	decLen     int // length after percent-decoding
	esc        int // decoded bytes that the canonical form escapes ('/' and '%')
}

// scanSegment validates the escaped segment p[start:end] without decoding it
// into memory. It reports the segment's shape, or a non-empty reason why the
// segment is bad.
func scanSegment(p string, start, end int) (rawSeg, segKind, string) {
	rs := rawSeg{start: start, end: end}
	dots := 0
	for i := start; i < end; i++ {
		c := p[i]
		if c == '%' {
			if i+2 >= end {
				return rs, segNormal, "truncated percent escape"
			}
			hi, ok1 := unhex(p[i+1])
			lo, ok2 := unhex(p[i+2])
			if !ok1 || !ok2 {
				return rs, segNormal, "invalid percent escape " + p[i:i+3]
			}
			c = hi<<4 | lo
			i += 2
		}
		switch {
		case c < 0x20 || c == 0x7f:
			return rs, segNormal, "control character"
		case c == '/' || c == '%':
			rs.esc++
		case c == '.':
			dots++
		}
		rs.decLen++
	}
	switch {
	case rs.decLen == 0:
		return rs, segEmpty, ""
	case rs.decLen == 1 && dots == 1:
		return rs, segDot, ""
	case rs.decLen == 2 && dots == 2:
		return rs, segDotDot, ""
	}
	return rs, segNormal, ""
}

// writeSegment writes the already validated escaped segment raw to b, decoded.
// With canonical set, the decoded bytes '%' and '/' are written re-escaped as
// "%25" and "%2F".
func writeSegment(b *strings.Builder, raw string, canonical bool) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' {
			hi, _ := unhex(raw[i+1])
			lo, _ := unhex(raw[i+2])
			c = hi<<4 | lo
			i += 2
		}
		switch {
		case canonical && c == '%':
			b.WriteString("%25")
		case canonical && c == '/':
			b.WriteString("%2F")
		default:
			b.WriteByte(c)
		}
	}
}

// decodeSegment percent-decodes a single escaped segment, allocating only when
// it contains an escape. It returns a non-empty reason when the segment is bad.
func decodeSegment(raw string) (string, segKind, string) {
	rs, kind, reason := scanSegment(raw, 0, len(raw))
	if reason != "" || strings.IndexByte(raw, '%') < 0 {
		return raw, kind, reason
	}
	var b strings.Builder
	b.Grow(rs.decLen)
	writeSegment(&b, raw, false)
	return b.String(), kind, ""
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
