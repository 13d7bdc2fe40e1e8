package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

func TestKindHelpers(t *testing.T) {
	type opts struct {
		Value string `yaml:"value"`
	}
	build := func(o opts) (actors.Stage, error) {
		if o.Value == "bad" {
			return nil, errors.New("value must not be bad\nreally")
		}
		return actors.StageFunc(func(*actors.Exchange) error { return nil }), nil
	}
	reg := testRegistry()
	reg.Register("p", config.PureKind("p", "a pure kind", actors.Routing, build))
	reg.Register("s", config.SpecKind("s", "a spec kind", actors.Business, func(name string, o opts) (*actors.Spec, error) {
		if o.Value == "bad" {
			return nil, errors.New("stage " + name + ": bad value")
		}
		return &actors.Spec{Kind: actors.Stateful, New: func() actors.Stage { return actors.StageFunc(func(*actors.Exchange) error { return nil }) }}, nil
	}))
	tests := []struct {
		name, kind, options, want string
	}{
		{"pure ok", "p", "{value: x}", ""},
		{"pure build error, prefixed, one line", "p", "{value: bad}", "k.yaml:3: p: value must not be bad; really"},
		{"unknown option", "p", "{valu: x}", "k.yaml:3:"},
		{"spec ok", "s", "{value: x}", ""},
		{"spec error as is", "s", "{value: bad}", "k.yaml:3: stage x: bad value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := "stages:\n  x:\n    options: " + tt.options + "\n    kind: " + tt.kind + "\nroutes: [{method: GET, path: /, handler: ok, stages: [x]}]\n"
			cfg, err := config.Parse("k.yaml", []byte(y), reg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Parse = %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Parse = %v, want %q", err, tt.want)
			case tt.want == "":
				if p := cfg.Stages["x"].Priority; p != map[string]actors.Priority{"p": actors.Routing, "s": actors.Business}[tt.kind] {
					t.Errorf("priority = %s", p)
				}
			}
		})
	}
}
