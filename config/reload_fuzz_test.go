package config_test

import (
	"os"
	"testing"

	"github.com/troupe-go/troupe/config"
)

// FuzzParseNextSame reloads any file that parses as itself: ParseNext
// never panics, accepts what Parse accepts, and carries over every stage
// and handler (the very same Spec), since nothing changed; and it asks for
// no restart.
func FuzzParseNextSame(f *testing.F) {
	def, err := os.ReadFile("testdata/default.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte(validConfig))
	f.Add([]byte(stacksConfig))
	f.Add([]byte(reloadBase))
	f.Add([]byte(`
stages:
  base: &base {kind: tag, options: &o {value: a}}
  other: {<<: *base, options: {<<: *o, count: 2}}
routes: &r
  - {method: GET, path: /a, handler: ok, stages: [base, other]}
groups: [{prefix: /v1, routes: *r}]
`))
	reg := reloadRegistry()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return // FuzzParse covers large files; this is about carrying over
		}
		prev, err := config.Parse("f.yaml", data, reg)
		if err != nil {
			return
		}
		next, err := config.ParseNext("f.yaml", data, reg, prev)
		if err != nil {
			t.Fatalf("Parse accepted the file, ParseNext refused it: %v", err)
		}
		for name, s := range prev.Stages {
			if next.Stages[name] != s {
				t.Errorf("stage %q was rebuilt", name)
			}
		}
		var walk func(a, b []*config.Route)
		walk = func(a, b []*config.Route) {
			for i := range a {
				if a[i].Handler != b[i].Handler {
					t.Errorf("the handler of %s %s was rebuilt", a[i].Method, a[i].Pattern)
				}
			}
		}
		walk(prev.Routes, next.Routes)
		var groups func(a, b []*config.Group)
		groups = func(a, b []*config.Group) {
			for i := range a {
				walk(a[i].Routes, b[i].Routes)
				groups(a[i].Groups, b[i].Groups)
			}
		}
		groups(prev.Groups, next.Groups)
		if r := next.NeedsRestart(prev); len(r) != 0 {
			t.Errorf("NeedsRestart = %q for the same file", r)
		}
	})
}
