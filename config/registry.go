package config

import (
	"fmt"
	"maps"
	"slices"

	"github.com/troupe-go/troupe/actors"
)

// Kind is a kind of stage or handler that configuration files can name: the
// "header" in `kind: header` or `handler: hello`. Each configured stage or
// route gets its own *actors.Spec from New.
type Kind struct {
	// Doc says what the kind does and lists its options, in a sentence or
	// two; `server -kinds` prints it.
	Doc string
	// Priority is the priority of a stage of this kind unless its priority
	// key says otherwise; it overrides whatever New sets. Ignored for
	// handler kinds, which always come last. Defaults to actors.Global.
	Priority actors.Priority
	// New builds the stage named name from its options. It should decode
	// them with opts.Decode, return that error as it is (it carries file
	// and line), and report bad values with opts.Errorf. Required.
	//
	// The Spec's Name and Priority are set by the configuration after New
	// returns; everything else is New's to fill in.
	New func(name string, opts Options) (*actors.Spec, error)
}

// Registry maps names to stage kinds and handler kinds, and top-level keys
// to sections of shared resources (see RegisterSection). Stage kinds and
// handler kinds share one namespace, so that a file naming one where the
// other is expected gets a precise error. The zero value is an empty
// registry. Register kinds before parsing; a Registry is not safe for
// concurrent registration, but is for concurrent Parse calls once filled.
type Registry struct {
	stages       map[string]Kind
	handlers     map[string]Kind
	sections     map[string]Section
	sectionOrder []string // the keys of sections, in the order registered
	blocks       map[string]Block
	blockOrder   []string // the keys of blocks, in the order registered
}

// Register adds a stage kind: a middleware that configuration files
// declare under stages with `kind: name`. It panics if name is empty or
// taken, or if k has no New: those are programming errors.
func (r *Registry) Register(name string, k Kind) {
	r.add(&r.stages, "stage", name, k)
}

// RegisterHandler adds a handler kind: the end of a route, named by a
// route's `handler: name`. It panics like Register.
func (r *Registry) RegisterHandler(name string, k Kind) {
	r.add(&r.handlers, "handler", name, k)
}

func (r *Registry) add(m *map[string]Kind, what, name string, k Kind) {
	if name == "" || k.New == nil {
		panic(fmt.Sprintf("config: %s kind %q needs a name and a New function", what, name))
	}
	if _, ok := r.stages[name]; ok {
		panic(fmt.Sprintf("config: kind %q registered twice", name))
	}
	if _, ok := r.handlers[name]; ok {
		panic(fmt.Sprintf("config: kind %q registered twice", name))
	}
	if *m == nil {
		*m = map[string]Kind{}
	}
	(*m)[name] = k
}

// Stage returns the stage kind registered under name.
func (r *Registry) Stage(name string) (Kind, bool) {
	k, ok := r.stages[name]
	return k, ok
}

// Handler returns the handler kind registered under name.
func (r *Registry) Handler(name string) (Kind, bool) {
	k, ok := r.handlers[name]
	return k, ok
}

// StageKinds returns the names of the stage kinds, sorted.
func (r *Registry) StageKinds() []string { return slices.Sorted(maps.Keys(r.stages)) }

// HandlerKinds returns the names of the handler kinds, sorted.
func (r *Registry) HandlerKinds() []string { return slices.Sorted(maps.Keys(r.handlers)) }
