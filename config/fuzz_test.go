package config_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/batching/batchproxy"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/internal/demo"
	"github.com/troupe-go/troupe/internal/demobackend"
	"github.com/troupe-go/troupe/internal/flakyupstream"
	"github.com/troupe-go/troupe/stages"
	"github.com/troupe-go/troupe/upstream"
)

// fuzzRegistry has the kinds and sections of the server (those of
// cmd/server) and those of testRegistry.
func fuzzRegistry() *config.Registry {
	reg := testRegistry()
	stages.Register(reg)
	upstream.Register(reg)
	batchproxy.Register(reg)
	demo.Register(reg)
	demobackend.Register(reg)
	flakyupstream.Register(reg)
	return reg
}

// FuzzParse parses any file: Parse never panics, never runs away (see
// parseBudget) and either returns a configuration or errors that are all
// *Errors at a line of the file, sorted by line.
func FuzzParse(f *testing.F) {
	def, err := os.ReadFile("testdata/default.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte(validConfig))
	f.Add([]byte(stacksConfig))
	f.Add([]byte(`
stages:
  base: &base {kind: tag, options: &o {value: a}}
  other: {<<: *base, options: {<<: *o, count: 2}}
routes: &r
  - {method: GET, path: /a, handler: ok, stages: [base, other]}
groups: [{prefix: /v1, routes: *r}]
`))
	for _, b := range bombs() {
		if len(b.give) <= 4<<10 {
			f.Add([]byte(b.give))
		}
	}
	reg := fuzzRegistry()
	f.Fuzz(func(t *testing.T, data []byte) {
		var (
			cfg *config.Config
			err error
		)
		allocated := allocated(func() { cfg, err = config.Parse("f.yaml", data, reg) })
		if budget := parseBudget(string(data)); allocated > budget {
			t.Errorf("Parse allocated %d bytes for a file of %d, want at most %d", allocated, len(data), budget)
		}
		if err == nil {
			if cfg == nil {
				t.Fatal("Parse = nil, nil")
			}
			return
		}
		j, ok := err.(interface{ Unwrap() []error })
		if !ok {
			t.Fatalf("Parse error %v is not a join of *Errors", err)
		}
		// yaml.v3 breaks lines at \r and \n (\r\n once), and NEL, LS
		// and PS: a line is at most one past the breaks.
		lines := 1 + strings.Count(string(data), "\n") + strings.Count(string(data), "\r") +
			strings.Count(string(data), "\u0085") + strings.Count(string(data), "\u2028") + strings.Count(string(data), "\u2029")
		prev := 0
		for _, e := range j.Unwrap() {
			ce, ok := errors.AsType[*config.Error](e)
			if !ok || ce.File != "f.yaml" || ce.Line < 1 || ce.Line > lines {
				t.Errorf("Parse error %q: want an *Error in f.yaml at a line of its %d", e, lines)
				continue
			}
			if ce.Line < prev {
				t.Errorf("Parse errors out of line order: %d after %d", ce.Line, prev)
			}
			prev = ce.Line
		}
	})
}
