package routing

import "fmt"

// Table maps a method and a pattern to a value of type T. The zero value is an
// empty table. Build it with Add, which is not safe for concurrent use; once
// built, Lookup is safe for concurrent use.
type Table[T any] struct {
	root node[T]
}

// Match is the result of a Lookup.
type Match[T any] struct {
	// Value is the value registered for the matched method and pattern.
	Value T
	// Pattern is the matched pattern as it was registered, e.g. "/items/{id}".
	Pattern string
	// Params holds the parameters of the matched pattern.
	Params Params
	// Path is the canonical path that was matched, e.g. "/items/42". It is
	// set for every outcome except BadPath.
	Path string
	// Allow lists the allowed methods for MethodNotAllowed, sorted and
	// separated by ", ", e.g. "GET, HEAD, POST".
	Allow string
}

// Add registers value for method and pattern. Method is "*" for any method,
// or an upper-case token such as "GET"; a GET route also answers HEAD unless
// the same pattern has a HEAD route. Add returns an error, and leaves the
// table unchanged, when the method or pattern is invalid, when the method and
// pattern are already registered, or when a parameter or wildcard name
// differs from the one another pattern already uses at the same position.
func (t *Table[T]) Add(method, pattern string, value T) error {
	if err := checkMethod(method); err != nil {
		return err
	}
	segs, err := parsePattern(pattern)
	if err != nil {
		return err
	}
	n, err := t.root.walk(pattern, segs, false)
	if err != nil {
		return err
	}
	if n != nil {
		for _, r := range n.routes {
			if r.method == method {
				return fmt.Errorf("routing: %s %q is already registered as %s %q", method, pattern, r.method, r.pattern)
			}
		}
	}
	n, _ = t.root.walk(pattern, segs, true)
	n.addRoute(method, pattern, segs, value)
	return nil
}

// Lookup normalises escapedPath (as returned by URL.EscapedPath) and finds
// the route for method, as described in the package documentation. For a
// path that is already canonical it does not allocate, except for the
// parameters of the matched route.
func (t *Table[T]) Lookup(method, escapedPath string) (Match[T], Outcome) {
	var buf [stackSegs]segment
	canon, segs, reason := split(escapedPath, buf[:0])
	if reason != "" {
		return Match[T]{}, BadPath
	}
	if n, r := t.root.find(method, segs, 0); r != nil {
		return Match[T]{
			Value:   r.value,
			Pattern: r.pattern,
			Params:  n.params(canon, segs),
			Path:    canon,
		}, Found
	}
	methods := t.root.collect(segs, 0, nil)
	if len(methods) == 0 {
		return Match[T]{Path: canon}, NotFound
	}
	return Match[T]{Path: canon, Allow: formatAllow(methods)}, MethodNotAllowed
}
