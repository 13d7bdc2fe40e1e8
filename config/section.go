package config

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sync"

	"github.com/troupe-go/troupe"
	"go.yaml.in/yaml/v3"
)

// Section is a top-level section of configuration files that declares
// named resources shared by stages and routes: things that must exist once
// however many routes use them, such as an upstream with its one circuit
// breaker (package upstream registers the section upstreams):
//
//	upstreams:                  # the section's key, as registered
//	  scoring:                  # a NAME: letters, digits, '-', '_', '.'
//	    targets: […]            # the resource's options, given to New
//	routes:
//	  - {method: GET, path: /a, handler: proxy, options: {upstream: scoring}}
//
// A kind refers to a resource from one of its options and gets it with
// Options.Shared, which reports an undeclared name at the option's line.
//
// Every resource declared is built when the file is parsed, before the
// stages and routes, whether or not anything refers to it, so that Parse
// (and `server -check`) finds its errors. A resource that is a
// troupe.Component is added to the app by Config.Build exactly once,
// however many stages and routes refer to it — and also when none does:
// declaring it is what runs it (its health checks, its metrics). It is
// added before the components of stages and routes, so the app starts it
// before them and stops it after them. Kinds that use it must not Add it.
type Section struct {
	// Doc says what the section declares and lists the options of an
	// entry, in a sentence or two; `server -kinds` prints it.
	Doc string
	// New builds the resource named name from its options: the mapping
	// under its name. As with Kind.New, it should decode them with
	// opts.Decode and return that error as it is, and report bad values
	// with opts.Errorf. It must not Add the resource it returns (see
	// Section); it may Add other components the resource relies on.
	// Options.Shared in New sees what was built before it: the resources
	// of the sections registered earlier, and those declared above it in
	// its own. Required.
	New func(name string, opts Options) (any, error)
}

// builtinKeys are the top-level keys of the configuration that sections
// may not take.
var builtinKeys = []string{"server", "admin", "log", "tracing", "supervision", "stages", "stacks", "global", "groups", "routes", "jobs"}

// sectionKey is what a section may be called: a snake_case YAML key.
var sectionKey = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// RegisterSection adds a top-level section to configuration files: key
// (snake_case, such as "upstreams") maps names to resources that s.New
// builds. It panics if key is not snake_case, is a built-in key of the
// configuration or taken, or if s has no New: those are programming errors.
func (r *Registry) RegisterSection(key string, s Section) {
	switch {
	case !sectionKey.MatchString(key) || s.New == nil:
		panic(fmt.Sprintf("config: section %q needs a snake_case key and a New function", key))
	case slices.Contains(builtinKeys, key):
		panic(fmt.Sprintf("config: section %q: that key is the configuration's own", key))
	}
	if _, ok := r.sections[key]; ok || r.blocks[key].New != nil {
		panic(fmt.Sprintf("config: section %q registered twice", key))
	}
	if r.sections == nil {
		r.sections = map[string]Section{}
	}
	r.sections[key] = s
	r.sectionOrder = append(r.sectionOrder, key)
}

// Section returns the section registered under key.
func (r *Registry) Section(key string) (Section, bool) {
	s, ok := r.sections[key]
	return s, ok
}

// Sections returns the keys of the registered sections, sorted.
func (r *Registry) Sections() []string { return slices.Sorted(maps.Keys(r.sections)) }

// shared holds the resources of one section of a parsed file.
type shared struct {
	declared map[string]int // name → line, built or not
	built    map[string]any

	mu    sync.Mutex // Options.Shared may be called after Parse, from any goroutine
	names []string   // declared's keys, sorted, for errors: a cache
}

// sortedNames returns the names declared, sorted.
func (sh *shared) sortedNames() []string {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.names) != len(sh.declared) {
		sh.names = slices.Sorted(maps.Keys(sh.declared))
	}
	return sh.names
}

// Shared returns the resource declared as name under the top-level section
// of the file, such as Shared("upstreams", "scoring"), for programs that
// want to look at it (an upstream's Status).
func (c *Config) Shared(section, name string) (any, bool) {
	sh := c.shared[section]
	if sh == nil {
		return nil, false
	}
	v, ok := sh.built[name]
	return v, ok
}

// errReported marks the error of a reference to a resource that was
// declared with errors: those are reported where it is declared, and the
// reference is not reported again.
var errReported = errors.New("reported where it is declared")

// section builds the resources declared under key.
func (p *parser) section(key string, s Section, n *yaml.Node) {
	sh := &shared{declared: map[string]int{}, built: map[string]any{}}
	if p.cfg.shared == nil {
		p.cfg.shared = map[string]*shared{}
	}
	p.cfg.shared[key] = sh
	for _, kv := range p.pairs(n, key) {
		name := kv.key.Value
		sh.declared[name] = kv.key.Line
		what := fmt.Sprintf("%s: %q", key, name)
		if !stageName.MatchString(name) {
			p.errorf(kv.key, "bad name %q under %s: use letters, digits, '-', '_' and '.'", name, key)
			continue
		}
		if r := resolve(kv.value); !isNull(r) && r.Kind != yaml.MappingNode {
			p.errorf(kv.value, "%s must be a mapping of its options, got %s", what, describe(r))
			continue
		}
		mark, used := len(p.cfg.components), &deps{}
		p.deps = used
		opts := p.options(kv.value, kv.key)
		v, err := s.New(name, opts)
		p.deps = nil
		if err != nil {
			p.newFailed(opts, err)
			continue
		}
		if v == nil {
			p.errorf(kv.key, "%s: built nothing", what)
			continue
		}
		if c, ok := v.(troupe.Component); ok {
			p.cfg.components = append(p.cfg.components, c)
		}
		fp := fingerprint([]string{"shared", key, name}, []*yaml.Node{kv.value}, nil, used.list())
		sh.built[name] = p.carry(fp, mark, v)
		if p.cfg.sharedPrints == nil {
			p.cfg.sharedPrints = map[string]string{}
		}
		p.cfg.sharedPrints[key+"\x00"+name] = fp
	}
}

// Shared returns the resource declared under the top-level section (such
// as "upstreams") whose name is the value of the option key (such as
// "upstream"): how a kind uses a resource that several stages and routes
// share. See Section.
//
// The error is an *Error at the option's line when the option is not a
// name, or names nothing declared under section (it lists what is); return
// it as it is. When the name was declared with errors, those are reported
// where it is declared, and the error Shared returns is not reported again
// (unless it is wrapped into a new error).
//
// Outside Parse (Options from NewOptions) there are no shared resources.
func (o Options) Shared(section, key string) (any, error) {
	k, v := o.lookup(key)
	if v == nil {
		return nil, o.Errorf("option %s is required: the name of one of the %s", key, section)
	}
	at := &Error{File: o.file, Line: k.Line}
	r := resolve(v)
	if r.Kind != yaml.ScalarNode || isNull(r) || r.Value == "" {
		at.Err = fmt.Errorf("option %s must be the name of one of the %s, got %s", key, section, describe(r))
		return nil, at
	}
	name := r.Value
	if o.cfg == nil {
		at.Err = fmt.Errorf("option %s: %q names one of the %s, which only a configuration file declares", key, name, section)
		return nil, at
	}
	sh := o.cfg.shared[section]
	if sh == nil {
		at.Err = fmt.Errorf("option %s: %q names one of the %s, but no section %s is registered (or it comes later)", key, name, section, section)
		return nil, at
	}
	if res, ok := sh.built[name]; ok {
		o.deps.add(o.cfg.sharedPrints[section+"\x00"+name])
		return res, nil
	}
	if line, ok := sh.declared[name]; ok {
		at.Err = fmt.Errorf("option %s: %s %q has errors (line %d): %w", key, section, name, line, errReported)
		return nil, at
	}
	at.Err = fmt.Errorf("option %s: %q is not declared under %s (declared: %s)", key, name, section, someNames(sh.sortedNames()))
	return nil, at
}
