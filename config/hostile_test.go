package config_test

import (
	"fmt"
	"maps"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"go.yaml.in/yaml/v3"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// parseAllocs parses give with testRegistry and returns the error and the
// bytes Parse allocated.
func parseAllocs(give string) (err error, n uint64) {
	n = allocated(func() { _, err = config.Parse("h.yaml", []byte(give), testRegistry()) })
	return err, n
}

// parseBudget is the most Parse may allocate for give: four times what
// yaml.v3 allocates to read it into nodes, plus 1 MiB. Parse reads the
// file so, and then allocates less again for what it builds of each node
// (a configuration of one-line routes allocates 1.7 times what yaml.v3
// does); a file that expands (through aliases, merge keys or stacks) must
// not cost much more than one that does not.
func parseBudget(give string) uint64 {
	return 4*allocated(func() {
		var n yaml.Node
		_ = yaml.Unmarshal([]byte(give), &n)
	}) + 1<<20
}

// aliasLevels returns a billion laughs: level 0 is item, and each further
// level (anchored &lN, in a mapping under key) a flow list of ten aliases
// to the level below, nested under the configuration's key top.
func aliasLevels(top, item string, levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:\n  l0: &l0 %s\n", top, item)
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
	}
	return b.String()
}

// bomb is a file that expands forever, or far past its size, through
// aliases, merge keys, stacks, nested groups or its errors, and where and
// why Parse refuses it.
type bomb struct {
	name       string
	give       string
	wantPrefix string
	wantReason string
	// several is set when the file has other errors: else Parse must
	// report the bomb alone.
	several bool
}

// bombs returns the bombs, with testRegistry's kinds.
func bombs() []bomb {
	const route = "routes: [{method: GET, path: /, handler: ok}]\n"
	return []bomb{
		{
			name:       "mapping merged into itself",
			give:       "server: &s {<<: *s}\n" + route,
			wantPrefix: "h.yaml:1: ",
			wantReason: "alias cycle: *s refers to the node anchored at line 1, which contains it",
		},
		{
			name:       "list of itself",
			give:       "global: &g [a, *g]\n" + route,
			wantPrefix: "h.yaml:1: ",
			wantReason: "alias cycle: *g",
		},
		{
			name: "group that includes itself",
			give: `groups:
  - &g
    prefix: /a
    routes: [{method: GET, path: /x, handler: ok}]
    groups: [*g]
`,
			wantPrefix: "h.yaml:5: ",
			wantReason: "alias cycle: *g refers to the node anchored at line 2, which contains it",
		},
		{
			name: "options that include themselves",
			give: `stages:
  t:
    kind: tag
    options: &o
      value: a
      nested: {deeper: [*o]}
` + route,
			wantPrefix: "h.yaml:6: ",
			wantReason: "alias cycle: *o",
		},
		{
			name: "merge keys that merge each other",
			give: `server:
  a: &a {x: 1, <<: {y: 2, <<: *a}}
` + route,
			wantPrefix: "h.yaml:2: ",
			wantReason: "alias cycle: *a",
		},
		{
			// Level n holds 10^n groups, each with its route.
			name: "alias bomb of groups",
			give: func() string {
				var b strings.Builder
				b.WriteString("groups:\n  - &g0 {prefix: /a, routes: [{method: GET, path: /x, handler: ok}]}\n")
				for i := 1; i <= 10; i++ {
					fmt.Fprintf(&b, "  - &g%d {prefix: /b, groups: [%s]}\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*g%d, ", i-1), 10), ", "))
				}
				return b.String()
			}(),
			wantPrefix: "h.yaml:6: ", // where the groups of level 4 are already too many
			wantReason: "the configuration expands past 100000 nodes through aliases: it holds 166 nodes, and may expand to 10 times that or to 100000, whichever is more",
		},
		{
			// Each stage merges the one above ten times over.
			name: "merge-key bomb",
			give: func() string {
				var b strings.Builder
				b.WriteString("stages:\n  s0: &m0 {kind: tag, options: {value: b}}\n")
				for i := 1; i <= 9; i++ {
					fmt.Fprintf(&b, "  s%d: &m%d {<<: [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*m%d, ", i-1), 10), ", "))
				}
				return b.String() + route
			}(),
			wantPrefix: "h.yaml:",
			wantReason: "the configuration expands past 100000 nodes through aliases",
		},
		{
			name:       "billion laughs in options",
			give:       strings.Replace(aliasLevels("stages", "{kind: tag}", 9), "  l9:", "  l9:\n    kind: tag\n    options: {value: a, more: *l8}\n  l10:", 1) + route,
			wantPrefix: "h.yaml:",
			wantReason: "the configuration expands past 100000 nodes through aliases",
		},
		{
			// 200 names of one 100 KB stage name: 20 MB of text, which
			// errors would quote, from 100 KB.
			name:       "long string named many times",
			give:       "global: [&s " + strings.Repeat("x", 100_000) + strings.Repeat(", *s", 200) + "]\n" + route,
			wantPrefix: "h.yaml:1: ",
			wantReason: "the configuration expands past 1048576 bytes of text through aliases: it holds 100035 bytes, and may expand to 10 times that or to 1048576, whichever is more",
		},
		{
			// A list nested 6,000 deep, and another that holds it at
			// the same depth: 12,000 levels expanded, from a file that
			// yaml.v3 lets nest 10,000 deep at most.
			name:       "aliases deeper than a file may nest",
			give:       "server:\n  a: &deep " + strings.Repeat("[", 6000) + strings.Repeat("]", 6000) + "\n  b: " + strings.Repeat("[", 6000) + "*deep" + strings.Repeat("]", 6000) + "\n" + route,
			wantPrefix: "h.yaml:3: ",
			wantReason: "the configuration nests deeper than 10000 levels through aliases",
		},
		{
			// Each level names the one before: the expansion grows
			// as the square of the file.
			name: "alias chain",
			give: func() string {
				var b strings.Builder
				b.WriteString("server:\n  l0: &l0 x\n")
				for i := 1; i <= 10_000; i++ {
					fmt.Fprintf(&b, "  l%d: &l%d [*l%d]\n", i, i, i-1)
				}
				return b.String() + route
			}(),
			wantPrefix: "h.yaml:",
			wantReason: "nodes through aliases: it holds 30015 nodes",
		},
		{
			// Each group's full prefix repeats those around it: 1,000
			// levels of 9 bytes are 4.5 MB of prefixes, from 31 KB.
			name:       "groups nested deep",
			give:       "groups: " + strings.Repeat("[{prefix: /abcdefgh, groups: ", 1000) + "[{prefix: /x, routes: [{method: GET, path: /, handler: ok}]}]" + strings.Repeat("}]", 1000) + "\n",
			wantPrefix: "h.yaml:1: ",
			wantReason: "the configuration's group prefixes and route patterns, joined, pass 1048576 bytes: a file of 31070 bytes may have 10 times that, or 1048576, whichever is more",
		},
		{
			// An error that listed every stage declared, for every
			// route, would grow as the square of the file.
			name: "errors that name every stage",
			give: func() string {
				var b strings.Builder
				b.WriteString("stages:\n")
				for i := range 2000 {
					fmt.Fprintf(&b, "  stage-number-%d: {kind: tag}\n", i)
				}
				b.WriteString("routes:\n")
				for i := range 2000 {
					fmt.Fprintf(&b, "  - {method: GET, path: /r%d, handler: ok, stages: [nope]}\n", i)
				}
				return b.String()
			}(),
			wantPrefix: "h.yaml:2003: ",
			several:    true, // one per route
			wantReason: `unknown stage "nope" in route GET /r0 stages (declared stages: stage-number-0, stage-number-1, stage-number-10, stage-number-100, stage-number-1000, stage-number-1001, stage-number-1002, stage-number-1003, stage-number-1004, stage-number-1005, … (2000 in all))`,
		},
		{
			// 300 routes name a stack of 400 stages: 120,000 stage
			// references from a file of about 7,000 nodes.
			name: "stacks past the expansion limit",
			give: func() string {
				var b strings.Builder
				b.WriteString("stages:\n")
				var names []string
				for i := range 400 {
					fmt.Fprintf(&b, "  t%d: {kind: tag}\n", i)
					names = append(names, fmt.Sprintf("t%d", i))
				}
				fmt.Fprintf(&b, "stacks:\n  all: [%s]\nroutes:\n", strings.Join(names, ", "))
				for i := range 300 {
					fmt.Fprintf(&b, "  - {method: GET, path: /r%d, handler: ok, stages: [all]}\n", i)
				}
				return b.String()
			}(),
			wantPrefix: "h.yaml:655: ", // the 251st route

			wantReason: "the configuration expands past 100000 stage references through stacks",
		},
	}
}

// Files whose aliases, merge keys or stacks expand forever or far past
// their size are refused at the line where they do, fast and in little
// memory, however they are built.
func TestParseRefusesExpansionBombs(t *testing.T) {
	for _, tt := range bombs() {
		t.Run(tt.name, func(t *testing.T) {
			err, allocated := parseAllocs(tt.give)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantPrefix) || !strings.Contains(err.Error(), tt.wantReason) {
				t.Errorf("Parse = %v, want %q…%q", err, tt.wantPrefix, tt.wantReason)
			} else if !tt.several && strings.Contains(err.Error(), "\n") {
				t.Errorf("Parse = %v, want that error alone", err)
			}
			if budget := parseBudget(tt.give); allocated > budget {
				t.Errorf("Parse allocated %d bytes for a file of %d, want at most %d", allocated, len(tt.give), budget)
			}
		})
	}
}

// A stack that names another several times, at every level, holds each of
// its stages once: it does not grow with the number of times it is named.
func TestStacksOfStacksStaySmall(t *testing.T) {
	var b strings.Builder
	b.WriteString("stages:\n  a: {kind: tag, options: {value: a}}\n  b: {kind: tag, options: {value: b}}\nstacks:\n  s0: [a, b, a]\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "  s%d: [%s]\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("s%d, ", i-1), 10), ", "))
	}
	b.WriteString("routes: [{method: GET, path: /, handler: ok, stages: [s30]}]\n")
	give := b.String()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cfg, err := config.Parse("h.yaml", []byte(give), testRegistry())
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var got []string
	for _, s := range cfg.Routes[0].Stages {
		got = append(got, s.Name)
	}
	if strings.Join(got, " ") != "a b" {
		t.Errorf("the route's stages = %q, want [a b]", got)
	}
	if allocated, budget := after.TotalAlloc-before.TotalAlloc, parseBudget(give); allocated > budget {
		t.Errorf("Parse allocated %d bytes for a file of %d, want at most %d", allocated, len(give), budget)
	}
}

// Anchors, aliases and merge keys share option maps, stage lists and
// routes as the file means them to: explicit keys win over merged ones,
// the earlier of two merged maps wins, and options merged into many stages
// reach each of them.
func TestParseAnchorsAliasesAndMergeKeys(t *testing.T) {
	var (
		mu   sync.Mutex
		seen = map[string]map[string]string{}
	)
	reg := testRegistry()
	reg.Register("opts", config.Kind{
		Doc: "records its options",
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			o := map[string]string{}
			if err := opts.Decode(&o); err != nil {
				return nil, err
			}
			if got, want := strings.Join(opts.Keys(), ","), strings.Join(sortedKeys(o), ","); len(opts.Keys()) != len(o) {
				return nil, fmt.Errorf("Keys() = %s, decoded %s", got, want)
			}
			mu.Lock()
			seen[name] = o
			mu.Unlock()
			return troupe.Stage(name, actors.Global, actors.StageFunc(func(*actors.Exchange) error { return nil })), nil
		},
	})
	give := `
stages:
  base: &base
    kind: opts
    options: &defaults {zone: eu, tier: gold}
  override:
    <<: *base
    options:
      <<: *defaults
      tier: silver
  both:
    kind: opts
    options:
      <<: [{tier: bronze, extra: one}, *defaults]
  plain:
    kind: opts
    options: *defaults
stacks:
  common: &common [base, override]
routes: &routes
  - &r {method: GET, path: /a, handler: ok, stages: *common}
  - {<<: *r, path: /b, stages: [both, plain]}
groups:
  - prefix: /v1
    routes: *routes
  - prefix: /v2
    stages: *common
    routes: *routes
`
	cfg, err := config.Parse("a.yaml", []byte(give), reg)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := map[string]map[string]string{
		"base":     {"zone": "eu", "tier": "gold"},
		"override": {"zone": "eu", "tier": "silver"},
		"both":     {"zone": "eu", "tier": "bronze", "extra": "one"},
		"plain":    {"zone": "eu", "tier": "gold"},
	}
	if !maps.EqualFunc(seen, want, maps.Equal) {
		t.Errorf("options decoded = %v, want %v", seen, want)
	}
	var patterns []string
	for _, r := range cfg.Build().Routes() {
		patterns = append(patterns, r.Pattern())
	}
	if got := strings.Join(patterns, " "); got != "/a /b /v1/a /v1/b /v2/a /v2/b" {
		t.Errorf("routes = %s, want /a /b /v1/a /v1/b /v2/a /v2/b", got)
	}
	if s := cfg.Routes[1].Stages; len(s) != 2 || s[0].Name != "both" || s[1].Name != "plain" {
		t.Errorf("route /b's stages = %v, want both, plain (its own key wins over the merged one)", s)
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Options a program builds from YAML of its own with NewOptions are held
// to the same bounds as a configuration's: their aliases cannot make
// Decode or Keys walk forever.
func TestNewOptionsRefusesExpansionBombs(t *testing.T) {
	tests := []struct {
		name, give, want string
	}{
		{
			name: "merge cycle",
			give: "a: 1\nb: &b {c: 2, <<: *b}\n",
			want: "o.yaml:2: alias cycle: *b refers to the node anchored at line 2, which contains it",
		},
		{
			name: "billion laughs",
			give: strings.ReplaceAll(aliasLevels("more", "x", 9), "more:", "value: a\nmore:"),
			want: "o.yaml:8: the configuration expands past 100000 nodes through aliases",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := options(t, tt.give)
			if keys := opts.Keys(); keys != nil {
				t.Errorf("Keys() = %q, want none", keys)
			}
			var v map[string]any
			if err := opts.Decode(&v); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Decode = %v, want %q…", err, tt.want)
			}
		})
	}
}
