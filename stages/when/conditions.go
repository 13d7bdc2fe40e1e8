package when

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Conditions is the configuration form of a predicate: every condition
// given must hold. In YAML, under a stage's `when` key:
//
//	when:
//	  path_prefix: /admin
//	  methods: [POST, DELETE]
//	  header: X-Debug                # present
//	  header_equals: {X-Env: staging}
//	  query: trace                   # present
//	  query_equals: {format: json}
//	  not: {header: X-Internal}      # none of these may hold together
type Conditions struct {
	PathPrefix   string            `yaml:"path_prefix"`
	Methods      []string          `yaml:"methods"`
	Header       string            `yaml:"header"`
	HeaderEquals map[string]string `yaml:"header_equals"`
	Query        string            `yaml:"query"`
	QueryEquals  map[string]string `yaml:"query_equals"`
	Not          *Conditions       `yaml:"not"`
}

// Predicate returns the predicate the conditions describe, or an error if
// they are empty or malformed.
func (c *Conditions) Predicate() (Predicate, error) {
	var ps []Predicate
	if c.PathPrefix != "" {
		if c.PathPrefix[0] != '/' {
			return nil, fmt.Errorf("path_prefix %q must start with /", c.PathPrefix)
		}
		ps = append(ps, PathPrefix(c.PathPrefix))
	}
	if len(c.Methods) > 0 {
		for _, m := range c.Methods {
			if m == "" || m != upper(m) {
				return nil, fmt.Errorf("method %q must be upper case", m)
			}
		}
		ps = append(ps, Method(c.Methods...))
	}
	if c.Header != "" {
		ps = append(ps, Header(c.Header))
	}
	for _, k := range slices.Sorted(maps.Keys(c.HeaderEquals)) {
		ps = append(ps, HeaderEquals(k, c.HeaderEquals[k]))
	}
	if c.Query != "" {
		ps = append(ps, Query(c.Query))
	}
	for _, k := range slices.Sorted(maps.Keys(c.QueryEquals)) {
		ps = append(ps, QueryEquals(k, c.QueryEquals[k]))
	}
	if c.Not != nil {
		p, err := c.Not.Predicate()
		if err != nil {
			return nil, fmt.Errorf("not: %w", err)
		}
		ps = append(ps, Not(p))
	}
	if len(ps) == 0 {
		return nil, errors.New("no conditions given (path_prefix, methods, header, header_equals, query, query_equals, not)")
	}
	return All(ps...), nil
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
