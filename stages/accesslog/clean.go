package accesslog

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// clean returns s with every rune that is not printable (strconv.IsPrint:
// controls, DEL, C1 controls, line and paragraph separators, format
// characters such as bidirectional overrides, unassigned code points),
// every invalid UTF-8 byte and every backslash written as a Go escape:
// "\n", "\u2028", "\xff", "\\". Printable ASCII without backslashes, the
// common case, is returned as is, without allocating.
func clean(s string) string {
	i := 0
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' {
			break
		}
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case r == '\\':
			b.WriteString(`\\`)
		case strconv.IsPrint(r):
			b.WriteString(s[i : i+size])
		default:
			// QuoteRune gives 'X' with X escaped: '\n', '\u2028', '\x7f'.
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}
