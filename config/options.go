package config

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/troupe-go/troupe"
	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"
)

// Options are the options of one configured stage or handler: the YAML
// under its options key, kept as a node so that the kind's constructor can
// decode them into a struct of its own and errors keep their lines. The
// zero value holds no options.
type Options struct {
	file string
	line int // of the options node, or of the stage when there is none
	node *yaml.Node
	logs *logSink // nil outside Parse: Logger then discards
	cfg  *Config  // nil outside Parse: Add then has nowhere to put components
	err  error    // from NewOptions, for a node that expands too far: Decode returns it
	deps *deps    // during Parse: records the shared resources the kind uses
}

// Add hands the app components the stage being built relies on (a batcher,
// a breaker): Config.Build adds them to the app, which starts them before it
// serves and stops them after it has drained. See troupe.Component.
func (o Options) Add(cs ...troupe.Component) {
	if o.cfg != nil {
		o.cfg.components = append(o.cfg.components, cs...)
	}
}

// Logger returns a logger for the stage being built: it writes to the
// app's logger once Config.Build has made the app, and discards before.
// Kinds that log (an access log) keep it.
func (o Options) Logger() *zap.Logger {
	if o.logs == nil {
		return zap.NewNop()
	}
	return o.logs.logger()
}

// NewOptions returns the options held by node, a mapping, found in file. A
// document node is unwrapped; a nil or null node means no options. Parse
// builds Options itself: NewOptions is for tests of kinds and for programs
// that read YAML of their own.
//
// Options whose aliases expand as Parse would refuse (see the package
// doc) hold none: Decode reports why, at the line of the alias.
func NewOptions(file string, node *yaml.Node) Options {
	if node != nil && node.Kind == yaml.DocumentNode {
		if len(node.Content) == 0 {
			return Options{file: file, line: max(node.Line, 1)}
		}
		node = node.Content[0]
	}
	o := Options{file: file, line: 1}
	if node != nil {
		o.line = node.Line
		if _, err := checkExpansion(file, node); err != nil {
			o.err = err
			return o
		}
		if !isNull(node) {
			o.node = node
		}
	}
	return o
}

// Line returns the line of the options in their file: the line of the
// options key's value, or of the stage or route when it has none.
func (o Options) Line() int { return o.line }

// Empty reports whether no options were given.
func (o Options) Empty() bool { return o.node == nil }

// Decode decodes the options into v, a pointer to a struct (or anything
// yaml.v3 decodes into), leaving v's fields alone where no option is given:
// set defaults before calling it. Keys that match no field of the struct
// (by its yaml tags, or the lowercased field name) are errors, as are
// values of the wrong type. The error joins one *Error per problem, each
// with the line of the offending key or value.
func (o Options) Decode(v any) error {
	if o.err != nil {
		return o.err
	}
	if o.node == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return o.Errorf("options decode into a %T, want a non-nil pointer", v)
	}
	var errs []error
	for _, u := range unknownKeys(o.node, rv.Type(), nil) {
		errs = append(errs, &Error{File: o.file, Line: u.key.Line, Err: u.err()})
	}
	if err := o.node.Decode(v); err != nil {
		errs = append(errs, fromYAML(o.file, o.line, "bad option value: ", err)...)
	}
	sortByLine(errs)
	return errors.Join(errs...)
}

// Errorf returns an *Error at the options' line, for a constructor that
// finds a bad option value.
func (o Options) Errorf(format string, args ...any) error {
	return &Error{File: o.file, Line: o.line, Err: fmt.Errorf(format, args...)}
}

// Keys returns the option keys given, in file order, those brought in by
// merge keys (<<) included.
func (o Options) Keys() []string {
	var out []string
	for _, kv := range optionPairs(o.node) {
		out = append(out, kv.key.Value)
	}
	return out
}

// KeyErrorf returns an *Error at the line of the option key, or at the
// options' line when key is not given: for a constructor that refuses an
// option that is fine on its own but not beside another. A key of a
// nested mapping is a path, "breaker.scope"; when only its start is
// given, the error is at that line.
func (o Options) KeyErrorf(key, format string, args ...any) error {
	line := o.line
	if k, _ := o.lookup(key); k != nil {
		line = k.Line
	}
	return &Error{File: o.file, Line: line, Err: fmt.Errorf(format, args...)}
}

// Sub returns the options nested under option key (a mapping, such as a
// batch_proxy's batch), so that a constructor can place an error at the
// line of a nested key with KeyErrorf. Without that key, it holds no
// options and stands at the options' line.
func (o Options) Sub(key string) Options {
	k, v := o.lookup(key)
	sub := o
	sub.node = nil
	if k != nil {
		sub.line = k.Line
		if v = resolve(v); v != nil && !isNull(v) {
			sub.node, sub.line = v, v.Line
		}
	}
	return sub
}

// lookup returns the key and value nodes of option key, or nils. A
// dotted key that is not an option itself is a path into nested mappings;
// the deepest part given is returned.
func (o Options) lookup(key string) (k, v *yaml.Node) {
	for _, kv := range optionPairs(o.node) {
		if kv.key.Value == key {
			return kv.key, kv.value
		}
	}
	if head, rest, ok := strings.Cut(key, "."); ok {
		if hk, hv := o.lookup(head); hk != nil {
			if k, v := (Options{node: hv}).lookup(rest); k != nil {
				return k, v
			}
			return hk, hv
		}
	}
	return nil, nil
}

// optionPairs returns the entries of mapping n, with merge keys expanded
// and explicit keys winning over merged ones, as yaml.v3 decodes them.
// Anything that is not a mapping has none (Decode reports it).
func optionPairs(n *yaml.Node) []pair {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Tag == "!!merge":
			for _, m := range mergedMappings(v) {
				merged = append(merged, optionPairs(m)...)
			}
		case k.Kind == yaml.ScalarNode:
			out = append(out, pair{k, v})
		}
	}
	if len(merged) == 0 {
		return out
	}
	seen := make(map[string]bool, len(out))
	for _, p := range out {
		seen[p.key.Value] = true
	}
	for _, m := range merged {
		if !seen[m.key.Value] {
			seen[m.key.Value] = true
			out = append(out, m)
		}
	}
	return out
}

// mergedMappings returns what the value v of a merge key (<<) merges: one
// mapping, or the items of a list of them.
func mergedMappings(v *yaml.Node) []*yaml.Node {
	if m := resolve(v); m != nil && m.Kind == yaml.SequenceNode {
		return m.Content
	}
	return []*yaml.Node{v}
}

// unknownKey is a mapping key that matches no field of the struct it
// decodes into.
type unknownKey struct {
	key   *yaml.Node
	known []string
}

func (u unknownKey) err() error {
	if len(u.known) == 0 {
		return fmt.Errorf("unknown option %q: this kind takes no options", u.key.Value)
	}
	return fmt.Errorf("unknown option %q (want one of %s)", u.key.Value, strings.Join(u.known, ", "))
}

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	nodeType        = reflect.TypeFor[yaml.Node]()
)

// unknownKeys walks n alongside t, the type it decodes into, and appends to
// out every mapping key that matches no struct field: the check yaml.v3's
// Decoder.KnownFields makes, which Node.Decode cannot. Types that decode
// themselves (yaml.Unmarshaler, yaml.Node) are not looked into; nor are
// values whose shape does not fit t, which Decode reports.
func unknownKeys(n *yaml.Node, t reflect.Type, out []unknownKey) []unknownKey {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	n = resolve(n)
	if t == nodeType || t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return out
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return out
		}
		fields, open := structFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" {
				for _, m := range mergedMappings(v) {
					out = unknownKeys(m, t, out)
				}
				continue
			}
			if ft, ok := fields[k.Value]; ok {
				out = unknownKeys(v, ft, out)
			} else if !open {
				out = append(out, unknownKey{key: k, known: slices.Sorted(maps.Keys(fields))})
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				out = unknownKeys(c, t.Elem(), out)
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 1; i < len(n.Content); i += 2 {
				out = unknownKeys(n.Content[i], t.Elem(), out)
			}
		}
	}
	return out
}

// structKeys are the YAML keys of a struct's fields, and whether it also
// takes any other key.
type structKeys struct {
	fields map[string]reflect.Type
	open   bool
}

// structKeysCache holds structFields' answers by type: options are decoded
// once per stage and route, into a few types.
var structKeysCache sync.Map // reflect.Type → structKeys

// structFields returns the YAML keys of struct t's fields, as yaml.v3 names
// them, and whether t also takes any other key (an inline map). The map
// returned is shared: it must not be changed.
func structFields(t reflect.Type) (fields map[string]reflect.Type, open bool) {
	if k, ok := structKeysCache.Load(t); ok {
		return k.(structKeys).fields, k.(structKeys).open
	}
	fields, open = readStructFields(t)
	structKeysCache.Store(t, structKeys{fields, open})
	return fields, open
}

// readStructFields computes structFields.
func readStructFields(t reflect.Type) (fields map[string]reflect.Type, open bool) {
	fields = map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.PkgPath != "" && !f.Anonymous {
			continue // unexported
		}
		name, flags, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if slices.Contains(strings.Split(flags, ","), "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Map:
				open = true
			case reflect.Struct:
				sub, o := structFields(ft)
				for k, v := range sub {
					fields[k] = v
				}
				open = open || o
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields, open
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is an empty or null scalar (`key:`, `key: ~`).
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}
