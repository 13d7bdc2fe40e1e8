package config

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/troupe-go/troupe"
	"go.yaml.in/yaml/v3"
)

// carried is a stage, handler or shared resource a parse built, with the
// components its kind added, kept under its fingerprint so that the parse
// of a reload (ParseNext) can carry the very same value over.
type carried struct {
	v     any // *actors.Spec, or a section's resource
	comps []troupe.Component
}

// deps records the fingerprints of the shared resources a kind looks up
// (Options.Shared) while it is built: a stage is the same only if they
// are too. A kind may call Options.Shared after Parse, from any goroutine.
type deps struct {
	mu     sync.Mutex
	prints []string
}

func (d *deps) add(fp string) {
	if d == nil {
		return
	}
	d.mu.Lock()
	d.prints = append(d.prints, fp)
	d.mu.Unlock()
}

func (d *deps) list() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.prints)
}

// fingerprint returns what makes a configured thing the same as before:
// what it is (parts: "stage" and its name, say), the YAML nodes that
// configure it as written, aliases expanded, with the mapping keys in skip
// left out of the first, and the fingerprints of the shared resources it
// uses. Formatting, comments and line numbers do not count; the order of
// keys does (a reordered mapping is taken as changed, which only costs a
// rebuild).
func fingerprint(parts []string, nodes []*yaml.Node, skip []string, used []string) string {
	var b strings.Builder
	for _, p := range parts {
		writeField(&b, p)
	}
	for i, n := range nodes {
		b.WriteByte('|')
		var sk []string
		if i == 0 {
			sk = skip
		}
		printNode(&b, n, sk, 0)
	}
	for _, u := range used {
		writeField(&b, "uses")
		writeField(&b, u)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

func writeField(b *strings.Builder, s string) {
	b.WriteString(strconv.Itoa(len(s)))
	b.WriteByte(':')
	b.WriteString(s)
}

// printNode writes n unambiguously: kind, tag, value, children. Parse has
// bounded the expansion of aliases already, and depth guards it anyway.
func printNode(b *strings.Builder, n *yaml.Node, skip []string, depth int) {
	if n == nil || depth > maxDepth {
		b.WriteString("~")
		return
	}
	if n.Kind == yaml.AliasNode {
		printNode(b, n.Alias, skip, depth+1)
		return
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		printNode(b, n.Content[0], skip, depth+1)
		return
	}
	b.WriteString(strconv.Itoa(int(n.Kind)))
	writeField(b, n.ShortTag())
	writeField(b, n.Value)
	b.WriteByte('[')
	for i := 0; i < len(n.Content); i++ {
		if n.Kind == yaml.MappingNode && i%2 == 0 && i+1 < len(n.Content) && slices.Contains(skip, n.Content[i].Value) {
			i++ // the key and its value
			continue
		}
		printNode(b, n.Content[i], nil, depth+1)
	}
	b.WriteByte(']')
}

// carry records v, just built under fingerprint print with the components
// its kind added since mark, and returns what the configuration is to use:
// the value the previous configuration built under the same fingerprint,
// with its components in place of the new ones, or v.
func (p *parser) carry(fp string, mark int, v any) any {
	mark = min(mark, len(p.cfg.components))
	c := carried{v: v, comps: slices.Clone(p.cfg.components[mark:])}
	if p.prev != nil {
		if old, ok := p.prev.prints[fp]; ok {
			p.cfg.components = append(p.cfg.components[:mark], old.comps...)
			c = old
		}
	}
	if p.cfg.prints == nil {
		p.cfg.prints = map[string]carried{}
	}
	p.cfg.prints[fp] = c
	return c.v
}
