package routing

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadPath is wrapped by the errors Clean returns for paths that cannot be
// normalised.
var ErrBadPath = errors.New("routing: bad path")

// stackSegs is how many segments Lookup can handle without allocating the
// segment list on the heap.
const stackSegs = 16

// Clean normalises an escaped URL path into its canonical form, as described
// in the package documentation, or returns an error wrapping ErrBadPath.
// Clean is idempotent: a canonical path is returned unchanged.
func Clean(escapedPath string) (string, error) {
	var buf [stackSegs]segment
	canon, _, reason := split(escapedPath, buf[:0])
	if reason != "" {
		return "", fmt.Errorf("%w %q: %s", ErrBadPath, escapedPath, reason)
	}
	return canon, nil
}

// split normalises p and appends its decoded segments to dst. It returns the
// canonical path and the segments, or a non-empty reason why p is bad.
func split(p string, dst []segment) (string, []segment, string) {
	if p == "" {
		return "/", dst, ""
	}
	if p[0] != '/' {
		return "", nil, "path does not start with /"
	}
	if segs, ok := splitCanonical(p, dst); ok {
		return p, segs, ""
	}
	return splitSlow(p, dst)
}

// splitCanonical is the allocation-free fast path: it succeeds only when p is
// already canonical (no '%', no control bytes, no empty, "." or ".."
// segments, no trailing slash), in which case the segments are substrings of
// p.
func splitCanonical(p string, dst []segment) ([]segment, bool) {
	if p == "/" {
		return dst, true
	}
	start := 1
	for i := 1; i <= len(p); i++ {
		if i < len(p) {
			c := p[i]
			if c == '%' || c < 0x20 || c == 0x7f {
				return nil, false
			}
			if c != '/' {
				continue
			}
		}
		s := p[start:i]
		if s == "" || s == "." || s == ".." {
			return nil, false
		}
		dst = append(dst, segment{s: s, off: start})
		start = i + 1
	}
	return dst, true
}

// splitSlow validates and normalises p in two passes: the first decides which
// raw segments survive dot-segment removal, the second writes the canonical
// path, and the decoded segments when they differ from it, with one
// allocation each.
func splitSlow(p string, dst []segment) (string, []segment, string) {
	var rbuf [stackSegs]rawSeg
	raws := rbuf[:0]
	for start := 1; start <= len(p); {
		end := strings.IndexByte(p[start:], '/')
		if end < 0 {
			end = len(p)
		} else {
			end += start
		}
		rs, kind, reason := scanSegment(p, start, end)
		if reason != "" {
			return "", nil, reason
		}
		switch kind {
		case segEmpty, segDot:
		case segDotDot:
			if len(raws) > 0 {
				raws = raws[:len(raws)-1]
			}
		default:
			raws = append(raws, rs)
		}
		start = end + 1
	}
	if len(raws) == 0 {
		return "/", dst, ""
	}

	canonLen, decLen, escaped := 0, 0, false
	for _, rs := range raws {
		canonLen += 1 + rs.decLen + 2*rs.esc
		decLen += rs.decLen
		escaped = escaped || rs.esc > 0
	}
	var cb, db strings.Builder
	cb.Grow(canonLen)
	if escaped {
		db.Grow(decLen)
	}
	for _, rs := range raws {
		cb.WriteByte('/')
		dst = append(dst, segment{off: cb.Len()})
		writeSegment(&cb, p[rs.start:rs.end], true)
		if escaped {
			writeSegment(&db, p[rs.start:rs.end], false)
		}
	}
	canon := cb.String()
	segs := dst[len(dst)-len(raws):]
	if !escaped {
		// Without escapes the canonical segments are the decoded ones.
		for i, rs := range raws {
			segs[i].s = canon[segs[i].off : segs[i].off+rs.decLen]
		}
		return canon, dst, ""
	}
	dec, at := db.String(), 0
	for i, rs := range raws {
		segs[i].s = dec[at : at+rs.decLen]
		at += rs.decLen
	}
	return canon, dst, ""
}
