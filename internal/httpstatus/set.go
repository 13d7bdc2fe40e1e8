// Package httpstatus holds sets of HTTP statuses as configuration names
// them: codes ("503") and classes ("5xx"). Upstreams and the breaker stage
// read their failure and retry statuses through it.
package httpstatus

import (
	"fmt"
	"strconv"
	"strings"
)

// Set is a set of HTTP statuses from 100 to 599. Its zero value is empty.
type Set [6]uint128

// uint128 is a bit set of 100 statuses of one class.
type uint128 [2]uint64

// Parse parses codes and classes into a set.
func Parse(list []string) (Set, error) {
	var s Set
	for _, item := range list {
		item = strings.ToLower(strings.TrimSpace(item))
		if len(item) == 3 && item[1:] == "xx" && item[0] >= '1' && item[0] <= '5' {
			first := int(item[0]-'0') * 100
			for code := first; code < first+100; code++ {
				s.add(code)
			}
			continue
		}
		code, err := strconv.Atoi(item)
		if err != nil || code < 100 || code > 599 {
			return s, fmt.Errorf("%q is neither a status code from 100 to 599 nor a class such as 5xx", item)
		}
		s.add(code)
	}
	return s, nil
}

func (s *Set) add(code int) {
	i := code % 100
	s[code/100][i/64] |= 1 << (i % 64)
}

// Has reports whether code is in the set.
func (s *Set) Has(code int) bool {
	if code < 100 || code > 599 {
		return false
	}
	i := code % 100
	return s[code/100][i/64]&(1<<(i%64)) != 0
}
