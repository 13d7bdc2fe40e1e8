package compress

import (
	"strconv"
	"strings"
)

// negotiate picks the coding for a request whose Accept-Encoding lines
// are given, or nil for none (identity). See the package documentation
// for the rules.
func (s *stage) negotiate(lines []string) coder {
	if len(lines) == 0 {
		return nil
	}
	// q-values in thousandths, as RFC 9110 writes them; -1 is "not named".
	qs := make([]int, len(s.coders))
	for i := range qs {
		qs[i] = -1
	}
	star := -1
	for _, line := range lines {
		for elem := range strings.SplitSeq(line, ",") {
			name, params, _ := strings.Cut(elem, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			q, ok := qvalue(params)
			if !ok {
				continue // a malformed element is ignored
			}
			if name == "x-gzip" {
				name = "gzip"
			}
			if name == "*" {
				star = max(star, q)
				continue
			}
			for i, c := range s.coders {
				if c.name() == name {
					qs[i] = max(qs[i], q)
				}
			}
		}
	}
	var best coder
	bestQ := 0
	for i, c := range s.coders {
		q := qs[i]
		if q < 0 {
			q = star
		}
		if q > bestQ { // strictly: on a tie the earlier coder stays
			best, bestQ = c, q
		}
	}
	return best
}

// qvalue parses an element's parameters for its weight, in thousandths:
// 1000 when there is no q, and false for a malformed one. Other
// parameters are ignored.
func qvalue(params string) (int, bool) {
	q := 1000
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		v = strings.TrimSpace(v)
		// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
		if v == "" || len(v) > 5 || v[0] != '0' && v[0] != '1' || len(v) > 1 && v[1] != '.' {
			return 0, false
		}
		frac := ""
		if len(v) > 2 {
			frac = v[2:]
		}
		n, err := strconv.Atoi((frac + "000")[:3])
		if err != nil || strings.ContainsAny(frac, "+-") || v[0] == '1' && n != 0 {
			return 0, false
		}
		q = int(v[0]-'0')*1000 + n
	}
	return q, true
}
