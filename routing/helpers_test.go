package routing

import (
	"fmt"
	"strings"
	"testing"
)

// result is a comparable summary of a Lookup, used by the table tests.
type result struct {
	Outcome Outcome
	Pattern string
	Params  string // "name=value" pairs joined by " "
	Path    string
	Allow   string
}

func (r result) String() string {
	return fmt.Sprintf("{%v pattern=%q params=%q path=%q allow=%q}", r.Outcome, r.Pattern, r.Params, r.Path, r.Allow)
}

func formatParams(p Params) string {
	parts := make([]string, p.Len())
	for i := range parts {
		name, value := p.At(i)
		parts[i] = name + "=" + value
	}
	return strings.Join(parts, " ")
}

func lookup[T any](t *Table[T], method, path string) result {
	m, o := t.Lookup(method, path)
	return result{Outcome: o, Pattern: m.Pattern, Params: formatParams(m.Params), Path: m.Path, Allow: m.Allow}
}

// found, notFound, notAllowed and bad build expected results.
func found(pattern, path, params string) result {
	return result{Outcome: Found, Pattern: pattern, Path: path, Params: params}
}

func notFound(path string) result { return result{Outcome: NotFound, Path: path} }

func notAllowed(path, allow string) result {
	return result{Outcome: MethodNotAllowed, Path: path, Allow: allow}
}

var bad = result{Outcome: BadPath}

type route3 struct{ method, pattern string }

// newTable builds a table whose values are "METHOD pattern".
func newTable(tb testing.TB, routes ...route3) *Table[string] {
	tb.Helper()
	var t Table[string]
	for _, r := range routes {
		if err := t.Add(r.method, r.pattern, r.method+" "+r.pattern); err != nil {
			tb.Fatalf("Add(%q, %q) = %v", r.method, r.pattern, err)
		}
	}
	return &t
}

type lookupCase struct {
	name   string
	method string
	path   string
	want   result
}

func runLookups(t *testing.T, tab *Table[string], tests []lookupCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lookup(tab, tt.method, tt.path); got != tt.want {
				t.Errorf("Lookup(%q, %q) = %v, want %v", tt.method, tt.path, got, tt.want)
			}
		})
	}
}
