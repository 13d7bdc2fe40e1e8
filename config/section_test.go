package config_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"
)

// journal records the starts and stops of components, in order.
type journal struct {
	mu     sync.Mutex
	events []string
}

func (j *journal) add(e string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.events = append(j.events, e)
}

func (j *journal) get() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.events)
}

// pool is the shared resource of the test section "pools": a component
// that records its starts and stops.
type pool struct {
	name string
	size int
	j    *journal
}

func (p *pool) Start(*actors.System) error { p.j.add("start " + p.name); return nil }
func (p *pool) Stop(context.Context) error { p.j.add("stop " + p.name); return nil }
func (p *pool) String() string             { return fmt.Sprintf("%s/%d", p.name, p.size) }

// recorder is a route's own component.
type recorder struct {
	name string
	j    *journal
}

func (c *recorder) Start(*actors.System) error { c.j.add("start " + c.name); return nil }
func (c *recorder) Stop(context.Context) error { c.j.add("stop " + c.name); return nil }

// sectionRegistry is testRegistry with the section pools (options: size,
// not negative; a pool is a component) and the handler kind use (option
// pool: the name of a pool, which it answers with; it adds a component of
// its own).
func sectionRegistry(j *journal) *config.Registry {
	reg := testRegistry()
	reg.RegisterSection("pools", config.Section{
		Doc: "pools of things",
		New: func(name string, opts config.Options) (any, error) {
			p := &pool{name: name, j: j}
			var o struct {
				Size int `yaml:"size"`
			}
			if err := opts.Decode(&o); err != nil {
				return nil, err
			}
			if o.Size < 0 {
				return nil, opts.KeyErrorf("size", "pools: %s: size must not be negative", name)
			}
			p.size = o.Size
			return p, nil
		},
	})
	reg.RegisterHandler("use", config.Kind{
		Doc: "answers with its pool",
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var o struct {
				Pool string `yaml:"pool"`
				Size int    `yaml:"size"`
			}
			if err := opts.Decode(&o); err != nil {
				return nil, err
			}
			v, err := opts.Shared("pools", "pool")
			if err != nil {
				return nil, err
			}
			p := v.(*pool)
			opts.Add(&recorder{name: "route " + name, j: j})
			return troupe.Handler(name, func(ex *actors.Exchange) error {
				ex.Respond(http.StatusOK, "text/plain", []byte(p.String()))
				return nil
			}), nil
		},
	})
	return reg
}

const sectionConfig = `
pools:
  main: {size: 4}
  spare:
routes:
  - {method: GET, path: /a, handler: use, options: {pool: main}}
  - {method: GET, path: /b, handler: use, options: {pool: main}}
`

// Two routes naming one resource share it; it is added to the app once,
// before the routes' components; a resource nobody names is built and
// added too.
func TestSectionShared(t *testing.T) {
	j := &journal{}
	cfg, err := config.Parse("s.yaml", []byte(sectionConfig), sectionRegistry(j))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	main, ok := cfg.Shared("pools", "main")
	if !ok || main.(*pool).size != 4 {
		t.Fatalf("Shared(pools, main) = %v, %v; want the pool of size 4", main, ok)
	}
	if spare, ok := cfg.Shared("pools", "spare"); !ok || spare.(*pool).size != 0 {
		t.Errorf("Shared(pools, spare) = %v, %v; want the pool of size 0", spare, ok)
	}
	if _, ok := cfg.Shared("pools", "nope"); ok {
		t.Error("Shared(pools, nope) found something")
	}
	if _, ok := cfg.Shared("tubs", "main"); ok {
		t.Error("Shared(tubs, main) found something")
	}
	app := cfg.Build(troupe.WithLogger(zap.NewNop()))
	h, err := app.Handler()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/a", "/b"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK || rec.Body.String() != "main/4" {
			t.Errorf("GET %s = %d %q, want 200 main/4", path, rec.Code, rec.Body)
		}
	}
	_ = app.Close(t.Context())
	want := []string{
		"start main", "start spare", "start route GET /a", "start route GET /b",
		"stop route GET /b", "stop route GET /a", "stop spare", "stop main",
	}
	if got := j.get(); !slices.Equal(got, want) {
		t.Errorf("components: %q, want %q", got, want)
	}
}

// Errors of sections and of references to them come at their lines, all at
// once; a reference to a resource declared with errors is not reported
// again.
func TestSectionErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want []string // every error, in order
	}{
		{
			name: "undeclared name",
			give: "pools:\n  main: {}\nroutes:\n  - method: GET\n    path: /\n    handler: use\n    options:\n      pool: mian\n",
			want: []string{`s.yaml:8: option pool: "mian" is not declared under pools (declared: main)`},
		},
		{
			name: "no section at all",
			give: "routes: [{method: GET, path: /, handler: use, options: {pool: main}}]\n",
			want: []string{`s.yaml:1: option pool: "main" is not declared under pools (declared: none)`},
		},
		{
			name: "not a name",
			give: "pools: {main: {}}\nroutes:\n  - method: GET\n    path: /\n    handler: use\n    options:\n      pool: \"\"\n",
			want: []string{`s.yaml:7: option pool must be the name of one of the pools, got ""`},
		},
		{
			name: "reference missing",
			give: "pools: {main: {}}\nroutes:\n  - method: GET\n    path: /\n    handler: use\n    options: {}\n",
			want: []string{`s.yaml:6: option pool is required: the name of one of the pools`},
		},
		{
			name: "declared with errors, referred to twice",
			give: "pools:\n  main:\n    size: -1\nroutes:\n  - {method: GET, path: /a, handler: use, options: {pool: main}}\n  - {method: GET, path: /b, handler: use, options: {pool: main}}\n",
			want: []string{`s.yaml:3: pools: main: size must not be negative`},
		},
		{
			name: "unused, with errors",
			give: "pools:\n  main: {}\n  spare: {size: -2}\nroutes:\n  - {method: GET, path: /a, handler: use, options: {pool: main}}\n",
			want: []string{`s.yaml:3: pools: spare: size must not be negative`},
		},
		{
			name: "unknown option of an entry",
			give: "pools:\n  main:\n    sise: 1\nroutes:\n  - {method: GET, path: /a, handler: use, options: {pool: main}}\n",
			want: []string{`s.yaml:3: unknown option "sise" (want one of size)`},
		},
		{
			name: "entry not a mapping",
			give: "pools:\n  main: 4\nroutes:\n  - {method: GET, path: /a, handler: use, options: {pool: main}}\n",
			want: []string{`s.yaml:2: pools: "main" must be a mapping of its options, got "4"`},
		},
		{
			name: "bad name",
			give: "pools:\n  main pool: {}\nroutes:\n  - {method: GET, path: /a, handler: ok}\n",
			want: []string{`s.yaml:2: bad name "main pool" under pools: use letters, digits, '-', '_' and '.'`},
		},
		{
			name: "section not a mapping",
			give: "pools: [main]\nroutes:\n  - {method: GET, path: /a, handler: ok}\n",
			want: []string{`s.yaml:1: pools must be a mapping, got a list`},
		},
		{
			name: "duplicate name",
			give: "pools:\n  main: {}\n  main: {size: 2}\nroutes:\n  - {method: GET, path: /a, handler: ok}\n",
			want: []string{`s.yaml:3: duplicate key "main" in pools (first at line 2)`},
		},
		{
			name: "unknown top-level key, sections listed",
			give: "pool:\n  main: {}\nroutes:\n  - {method: GET, path: /a, handler: ok}\n",
			want: []string{`s.yaml:1: unknown key "pool" in the configuration (want one of server, admin, log, tracing, supervision, stages, stacks, global, groups, routes, jobs, pools)`},
		},
		{
			name: "everything at once",
			give: "pools:\n  main: {size: -1}\n  spare: {}\nroutes:\n  - {method: GET, path: /a, handler: use, options: {pool: main}}\n  - {method: GET, path: /b, handler: use, options: {pool: spar}}\n  - {method: GET, path: /c, handler: use, options: {pool: spare, extra: 1}}\n",
			want: []string{
				`s.yaml:2: pools: main: size must not be negative`,
				`s.yaml:6: option pool: "spar" is not declared under pools (declared: main, spare)`,
				`s.yaml:7: unknown option "extra"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("s.yaml", []byte(tt.give), sectionRegistry(&journal{}))
			if err == nil {
				t.Fatalf("Parse = nil, want %q", tt.want)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tt.want) {
				t.Fatalf("Parse reported %d errors, want %d:\n%v", len(got), len(tt.want), err)
			}
			for i := range tt.want {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("error %d = %q, want it to start with %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// A section may be declared with anchors and merge keys like the rest of
// the file, and its names need not be used.
func TestSectionMergeKeys(t *testing.T) {
	give := `
pools:
  main: &base {size: 2}
  copy:
    <<: *base
routes:
  - {method: GET, path: /a, handler: use, options: {pool: copy}}
`
	cfg, err := config.Parse("s.yaml", []byte(give), sectionRegistry(&journal{}))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if v, ok := cfg.Shared("pools", "copy"); !ok || v.(*pool).size != 2 {
		t.Errorf("Shared(pools, copy) = %v, want size 2 from the merge", v)
	}
}

func TestRegisterSectionPanics(t *testing.T) {
	newRes := func(string, config.Options) (any, error) { return nil, nil }
	tests := []struct {
		name string
		key  string
		s    config.Section
	}{
		{name: "empty key", key: "", s: config.Section{New: newRes}},
		{name: "not snake_case", key: "Pools", s: config.Section{New: newRes}},
		{name: "built-in key", key: "routes", s: config.Section{New: newRes}},
		{name: "no constructor", key: "tubs"},
		{name: "twice", key: "pools", s: config.Section{New: newRes}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterSection(%q): no panic", tt.key)
				}
			}()
			sectionRegistry(&journal{}).RegisterSection(tt.key, tt.s)
		})
	}
}

func TestRegistrySections(t *testing.T) {
	reg := sectionRegistry(&journal{})
	reg.RegisterSection("apples", config.Section{Doc: "apples", New: func(string, config.Options) (any, error) { return 1, nil }})
	if got, want := reg.Sections(), []string{"apples", "pools"}; !slices.Equal(got, want) {
		t.Errorf("Sections() = %q, want %q", got, want)
	}
	if s, ok := reg.Section("pools"); !ok || s.Doc != "pools of things" {
		t.Errorf("Section(pools) = %+v, %v", s, ok)
	}
	if _, ok := reg.Section("routes"); ok {
		t.Error("Section(routes) found a section")
	}
}

// Keys, KeyErrorf and Shared outside a file.
func TestOptionsKeys(t *testing.T) {
	var doc yaml.Node
	src := "base: &b {x: 1, y: 2}\nopts:\n  <<: *b\n  z: 3\n  x: 4\n"
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	opts := config.NewOptions("k.yaml", doc.Content[0].Content[3])
	if got, want := opts.Keys(), []string{"z", "x", "y"}; !slices.Equal(got, want) {
		t.Errorf("Keys() = %q, want %q", got, want)
	}
	for key, want := range map[string]string{"z": "k.yaml:4: bad z", "y": "k.yaml:1: bad y", "w": "k.yaml:3: bad w"} {
		if err := opts.KeyErrorf(key, "bad %s", key); err.Error() != want {
			t.Errorf("KeyErrorf(%s) = %q, want %q", key, err, want)
		}
	}
	if got := config.NewOptions("k.yaml", nil).Keys(); len(got) != 0 {
		t.Errorf("Keys() of no options = %q", got)
	}
	opts = config.NewOptions("k.yaml", doc.Content[0].Content[1])
	if _, err := opts.Shared("pools", "x"); err == nil || err.Error() != `k.yaml:1: option x: "1" names one of the pools, which only a configuration file declares` {
		t.Errorf("Shared outside a file = %v", err)
	}
}

// KeyErrorf takes a path into nested mappings, and falls back to the
// deepest part of it that is given.
func TestOptionsKeyErrorfPath(t *testing.T) {
	var doc yaml.Node
	src := "a: 1\nbreaker:\n  window: 1s\n  scope: x\nflow: {scope: y}\n\"dotted.key\": 2\n"
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	opts := config.NewOptions("k.yaml", &doc)
	for key, want := range map[string]string{
		"breaker.scope": "k.yaml:4: bad", "breaker.other": "k.yaml:2: bad", "flow.scope": "k.yaml:5: bad",
		"dotted.key": "k.yaml:6: bad", "none.scope": "k.yaml:1: bad", "a.b": "k.yaml:1: bad",
	} {
		if err := opts.KeyErrorf(key, "bad"); err.Error() != want {
			t.Errorf("KeyErrorf(%s) = %q, want %q", key, err, want)
		}
	}
}
