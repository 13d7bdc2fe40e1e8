package config

import (
	"fmt"
	"slices"

	"github.com/troupe-go/troupe"
	"go.yaml.in/yaml/v3"
)

// Block is a top-level section of configuration files that configures one
// thing for the whole server, rather than naming several (see Section):
// package cluster registers the block cluster, the cluster the server is
// a member of.
//
//	cluster:                    # the block's key, as registered
//	  name: shop                # its options, given to New
//	  port: 7101
//
// A block the file gives is built when the file is parsed, before the
// sections, stages and routes, which get it with Options.Block. One that is
// a troupe.Component is added to the app by Config.Build before every
// other component, so the app starts it first and stops it last. A block
// the file leaves out is not built: nothing of it runs.
type Block struct {
	// Doc says what the block configures and lists its options, in a
	// sentence or two; `server -kinds` prints it.
	Doc string
	// New builds the thing from the block's options. As with Kind.New, it
	// should decode them with opts.Decode and return that error as it is,
	// and report bad values with opts.Errorf or opts.KeyErrorf (several,
	// joined with errors.Join, are reported each at its line). Required.
	New func(opts Options) (any, error)
}

// RegisterBlock adds a top-level block to configuration files under key
// (snake_case). It panics if key is not snake_case, is a built-in key of
// the configuration, or is taken by a block or section, or if b has no
// New: those are programming errors.
func (r *Registry) RegisterBlock(key string, b Block) {
	switch {
	case !sectionKey.MatchString(key) || b.New == nil:
		panic(fmt.Sprintf("config: block %q needs a snake_case key and a New function", key))
	case slices.Contains(builtinKeys, key):
		panic(fmt.Sprintf("config: block %q: that key is the configuration's own", key))
	}
	_, section := r.sections[key]
	if _, ok := r.blocks[key]; ok || section {
		panic(fmt.Sprintf("config: block %q registered twice", key))
	}
	if r.blocks == nil {
		r.blocks = map[string]Block{}
	}
	r.blocks[key] = b
	r.blockOrder = append(r.blockOrder, key)
}

// Block returns the block registered under key.
func (r *Registry) Block(key string) (Block, bool) {
	b, ok := r.blocks[key]
	return b, ok
}

// Blocks returns the keys of the registered blocks, in the order
// registered.
func (r *Registry) Blocks() []string { return slices.Clone(r.blockOrder) }

// Block returns what the file's top-level block key built, and whether
// the file gives that block (and it built without errors).
func (c *Config) Block(key string) (any, bool) {
	v, ok := c.blocks[key]
	return v, ok
}

// Block returns what the top-level block key of the file being parsed
// built, and whether the file gives that block: how a kind uses the
// server's cluster. Outside Parse (Options from NewOptions) there are no
// blocks.
func (o Options) Block(key string) (any, bool) {
	if o.cfg == nil {
		return nil, false
	}
	return o.cfg.Block(key)
}

// block builds the block registered under key from n, if the file gives
// it.
func (p *parser) block(key string, b Block, n *yaml.Node) {
	if n == nil || isNull(resolve(n)) {
		return
	}
	if r := resolve(n); r.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping of its options, got %s", key, describe(r))
		return
	}
	opts := p.options(n, n)
	mark := len(p.cfg.components)
	v, err := b.New(opts)
	if err != nil {
		p.newFailed(opts, err)
		return
	}
	if v == nil {
		p.errorf(n, "%s: built nothing", key)
		return
	}
	if c, ok := v.(troupe.Component); ok {
		p.cfg.components = append(p.cfg.components, c)
	}
	// A reload whose block is as before keeps the running one (a cluster
	// member stays a member, on its port), as stages are carried over.
	v = p.carry(fingerprint([]string{"block", key}, []*yaml.Node{n}, nil, nil), mark, v)
	if p.cfg.blocks == nil {
		p.cfg.blocks = map[string]any{}
	}
	p.cfg.blocks[key] = v
}
