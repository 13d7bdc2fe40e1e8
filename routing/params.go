package routing

// Params is the ordered list of parameters of a matched pattern, in the order
// they appear in the pattern. The zero value is empty.
type Params struct {
	kv []param
}

type param struct {
	name, value string
}

// Get returns the value of the named parameter, or "" when it is absent.
func (p Params) Get(name string) string {
	for _, x := range p.kv {
		if x.name == name {
			return x.value
		}
	}
	return ""
}

// Len returns the number of parameters.
func (p Params) Len() int { return len(p.kv) }

// At returns the name and value of the i-th parameter. It panics if i is out
// of range.
func (p Params) At(i int) (name, value string) {
	x := p.kv[i]
	return x.name, x.value
}

// ParamsOf returns params from name, value pairs, for tests and for code
// that builds exchanges without a lookup. A trailing odd name is ignored.
func ParamsOf(pairs ...string) Params {
	kv := make([]param, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		kv = append(kv, param{name: pairs[i], value: pairs[i+1]})
	}
	return Params{kv: kv}
}
