package routing

import "fmt"

// node is one position in the routing tree. Its depth is the number of path
// segments consumed to reach it; a wildcard node is always a leaf.
type node[T any] struct {
	statics map[string]*node[T] // static children by decoded text
	param   *node[T]            // {name} child
	wild    *node[T]            // {name...} child

	name   string // parameter or wildcard name, for param and wild nodes
	origin string // pattern that created this param or wild node

	routes []route[T] // routes ending here, one per method
	slots  []slot     // where the parameters of routes ending here come from
}

// route is one registered method and pattern at a node.
type route[T any] struct {
	method  string
	pattern string
	value   T
}

// slot locates a parameter of a pattern: the index of its segment, and
// whether it is a wildcard tail.
type slot struct {
	name string
	idx  int
	wild bool
}

// walk follows segs from n. With create unset it only checks for conflicts
// with existing nodes and returns nil once the path leaves the existing tree;
// with create set it adds the missing nodes and cannot fail when a check
// walk succeeded.
func (n *node[T]) walk(pattern string, segs []patSeg, create bool) (*node[T], error) {
	for i, s := range segs {
		var next **node[T]
		switch s.kind {
		case patStatic:
			c := n.statics[s.text]
			if c == nil && create {
				if n.statics == nil {
					n.statics = make(map[string]*node[T])
				}
				c = &node[T]{}
				n.statics[s.text] = c
			}
			if c == nil {
				return nil, nil
			}
			n = c
			continue
		case patParam:
			next = &n.param
		case patWild:
			next = &n.wild
		}
		c := *next
		if c == nil && !create {
			return nil, nil
		}
		if c == nil {
			c = &node[T]{name: s.text, origin: pattern}
			*next = c
		}
		if c.name != s.text {
			return nil, fmt.Errorf("routing: pattern %q: %s %q at segment %d conflicts with %q of pattern %q at the same position",
				pattern, kindName(s.kind), s.text, i+1, c.name, c.origin)
		}
		n = c
	}
	return n, nil
}

func kindName(k patKind) string {
	if k == patWild {
		return "wildcard"
	}
	return "parameter"
}

// addRoute adds a route to n, the node that segs lead to.
func (n *node[T]) addRoute(method, pattern string, segs []patSeg, value T) {
	if n.slots == nil {
		for i, s := range segs {
			if s.kind != patStatic {
				n.slots = append(n.slots, slot{name: s.text, idx: i, wild: s.kind == patWild})
			}
		}
	}
	n.routes = append(n.routes, route[T]{method: method, pattern: pattern, value: value})
}

// routeFor returns the route of n that serves method: an exact match, then
// GET for HEAD, then "*"; or nil.
func (n *node[T]) routeFor(method string) *route[T] {
	var get, any *route[T]
	for i := range n.routes {
		r := &n.routes[i]
		switch r.method {
		case method:
			return r
		case "GET":
			get = r
		case "*":
			any = r
		}
	}
	if method == "HEAD" && get != nil {
		return get
	}
	return any
}
