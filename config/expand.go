package config

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// The parser walks the YAML node tree itself, following aliases and merge
// keys as it goes, so it guards itself against documents that expand
// without bound through them (yaml.v3's own guard covers Decode only).
// Before the walk, checkExpansion measures the document as the walk will
// see it, every alias replaced by the node it names, and refuses it when:
//
//   - an alias names a node that contains it (an alias cycle), which would
//     expand forever;
//   - expanded, it holds more than max(minExpansion, expansionRatio × N)
//     nodes, N being the nodes written in the file: aliases may repeat
//     what the file says, but only so much, so that the walk's time and
//     memory stay within a constant factor of the file's size;
//   - expanded, its scalars (keys and values) hold more than
//     max(minPatternBytes, expansionRatio × B) bytes, B being the bytes of
//     the scalars written in the file: an alias of one long string may not
//     repeat it past that either, in errors that quote it or in strings
//     built of it;
//   - expanded, it nests deeper than maxDepth, which is yaml.v3's own
//     limit on the nesting of a file.
//
// Stacks expand too, a stack naming others: the stage references the
// parser resolves through stacks count against the same limit. So do
// nested groups, whose full prefixes repeat those of the groups around
// them: the bytes of the full prefixes and route patterns of a file of B
// bytes may reach max(minPatternBytes, expansionRatio × B).
const (
	// minExpansion is the size, in nodes, every document may expand to
	// whatever its size: ample for hand-written files that share option
	// maps, and cheap to walk.
	minExpansion = 100_000
	// expansionRatio bounds the size of a larger document's expansion
	// relative to its own size.
	expansionRatio = 10
	// maxDepth bounds the nesting of the expanded document.
	maxDepth = 10_000
	// minPatternBytes is the length every file's scalars may reach once
	// expanded, and its group prefixes and route patterns, joined (each
	// group's prefix joined to those of the groups around it, and each
	// route's path to its group's), however small the file: groups nested
	// deep would otherwise repeat their prefixes as the square of the
	// file's size.
	minPatternBytes = 1 << 20
)

// expansionLimit returns the number of nodes a document of n nodes may
// expand to.
func expansionLimit(n int) int { return max(minExpansion, expansionRatio*n) }

// expansionRule says why a document of n nodes may expand no further.
func expansionRule(n int) string {
	return fmt.Sprintf("it holds %d nodes, and may expand to %d times that or to %d, whichever is more", n, expansionRatio, minExpansion)
}

// checkExpansion returns the number of nodes of the document under root,
// and an *Error at the line of the alias that makes it expand forever,
// past its expansion limits or too deep, or nil. It takes time linear in
// the size of the document as written, however far it would expand.
func checkExpansion(file string, root *yaml.Node) (nodes int, err error) {
	var w written
	w.count(root)
	if !w.aliases {
		return w.nodes, nil
	}
	m := &measure{
		file:      file,
		nodes:     w.nodes,
		limit:     expansionLimit(w.nodes),
		bytes:     w.bytes,
		byteLimit: max(minPatternBytes, expansionRatio*w.bytes),
		sizes:     map[*yaml.Node]expanded{},
	}
	m.size(root, 1)
	return w.nodes, m.err
}

// written is the size of a document as written: its nodes, an alias
// counting as one, and the bytes of its scalars; and whether it has
// aliases.
type written struct {
	nodes, bytes int
	aliases      bool
}

// count adds the tree under n.
func (w *written) count(n *yaml.Node) {
	if n == nil {
		return
	}
	w.nodes++
	switch n.Kind {
	case yaml.AliasNode:
		w.aliases = true
	case yaml.ScalarNode:
		w.bytes += len(n.Value)
	}
	for _, c := range n.Content {
		w.count(c)
	}
}

// expanded is what measure knows of a node's expansion: its size in nodes
// and in bytes of scalars, and its height; for an anchored node, that it
// is being computed.
type expanded struct {
	size, bytes, height int
	visiting            bool
}

// measure computes the size and height of a document's expansion,
// memoised at anchored nodes (the only ones aliases name), so that each
// node is looked at once. Sizes saturate past the limit.
type measure struct {
	file             string
	nodes, limit     int
	bytes, byteLimit int
	sizes            map[*yaml.Node]expanded // of anchored nodes
	err              error
}

// size returns what n expands to; n is at depth. After the first error it
// returns at once.
func (m *measure) size(n *yaml.Node, depth int) (x expanded) {
	if m.err != nil || n == nil {
		return x
	}
	if depth > maxDepth {
		m.fail(n, fmt.Errorf("the configuration nests deeper than %d levels through aliases", maxDepth))
		return x
	}
	if n.Anchor != "" {
		e, ok := m.sizes[n]
		switch {
		case e.visiting:
			return x // the alias reports the cycle
		case ok:
			return e
		}
		m.sizes[n] = expanded{visiting: true}
		defer func() { m.sizes[n] = x }()
	}
	x = expanded{size: 1, height: 1}
	if n.Kind == yaml.ScalarNode {
		x.bytes = len(n.Value)
	}
	for _, c := range n.Content {
		var cx expanded
		if c.Kind == yaml.AliasNode && c.Alias != nil {
			if m.sizes[c.Alias].visiting {
				m.fail(c, fmt.Errorf("alias cycle: *%s refers to the node anchored at line %d, which contains it", c.Value, c.Alias.Line))
				return x
			}
			cx = m.size(c.Alias, depth+1)
		} else {
			cx = m.size(c, depth+1)
		}
		if m.err != nil {
			return x
		}
		x.size = min(x.size+cx.size, m.limit+1)
		x.bytes = min(x.bytes+cx.bytes, m.byteLimit+1)
		x.height = max(x.height, cx.height+1)
		switch {
		case x.size > m.limit:
			m.fail(c, fmt.Errorf("the configuration expands past %d nodes through aliases: %s", m.limit, expansionRule(m.nodes)))
		case x.bytes > m.byteLimit:
			m.fail(c, fmt.Errorf("the configuration expands past %d bytes of text through aliases: it holds %d bytes, and may expand to %d times that or to %d, whichever is more",
				m.byteLimit, m.bytes, expansionRatio, minPatternBytes))
		case depth+x.height-1 > maxDepth:
			m.fail(c, fmt.Errorf("the configuration nests deeper than %d levels through aliases", maxDepth))
		}
		if m.err != nil {
			return x
		}
	}
	return x
}

// fail records the first error, at n's line.
func (m *measure) fail(n *yaml.Node, err error) {
	if m.err == nil {
		m.err = &Error{File: m.file, Line: max(n.Line, 1), Err: err}
	}
}
