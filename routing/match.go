package routing

// find returns the first node in precedence order (static, then parameter,
// then wildcard tail, with backtracking) that matches segs[i:] and has a
// route for method, with that route; or nil, nil.
func (n *node[T]) find(method string, segs []segment, i int) (*node[T], *route[T]) {
	if i == len(segs) {
		if r := n.routeFor(method); r != nil {
			return n, r
		}
		if n.wild != nil {
			if r := n.wild.routeFor(method); r != nil {
				return n.wild, r
			}
		}
		return nil, nil
	}
	if c := n.statics[segs[i].s]; c != nil {
		if m, r := c.find(method, segs, i+1); r != nil {
			return m, r
		}
	}
	if n.param != nil {
		if m, r := n.param.find(method, segs, i+1); r != nil {
			return m, r
		}
	}
	if n.wild != nil {
		if r := n.wild.routeFor(method); r != nil {
			return n.wild, r
		}
	}
	return nil, nil
}

// collect appends the methods of every node that matches segs[i:] to dst.
func (n *node[T]) collect(segs []segment, i int, dst []string) []string {
	if n.wild != nil {
		dst = n.wild.methods(dst)
	}
	if i == len(segs) {
		return n.methods(dst)
	}
	if c := n.statics[segs[i].s]; c != nil {
		dst = c.collect(segs, i+1, dst)
	}
	if n.param != nil {
		dst = n.param.collect(segs, i+1, dst)
	}
	return dst
}

func (n *node[T]) methods(dst []string) []string {
	for _, r := range n.routes {
		dst = append(dst, r.method)
	}
	return dst
}

// params builds the parameters of a route ending at n from the matched
// segments of the canonical path canon.
func (n *node[T]) params(canon string, segs []segment) Params {
	if len(n.slots) == 0 {
		return Params{}
	}
	kv := make([]param, len(n.slots))
	for j, sl := range n.slots {
		v := ""
		switch {
		case sl.idx == len(segs):
			// An empty wildcard tail.
		case sl.wild:
			v = canon[segs[sl.idx].off:]
		default:
			v = segs[sl.idx].s
		}
		kv[j] = param{name: sl.name, value: v}
	}
	return Params{kv: kv}
}
