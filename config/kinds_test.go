package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// keyError is a constructor's error about one option.
type keyError struct{ key string }

func (e keyError) Error() string     { return "s: " + e.key + " is wrong" }
func (e keyError) OptionKey() string { return e.key }

// stageKindOptions are the options of the kinds TestStageKind registers.
type stageKindOptions struct {
	Value string `yaml:"value"`
	Limit struct {
		N int `yaml:"n"`
	} `yaml:"limit"`
}

// newTestStage is a constructor of the catalogue's shape: a stateless
// stage of priority routing, or the error its options ask for.
func newTestStage(name string, o stageKindOptions) (*actors.Spec, error) {
	switch {
	case o.Value == "bad":
		return nil, errors.New("s: value must not be bad\nreally")
	case o.Limit.N < 0:
		return nil, keyError{"limit"}
	case o.Value == "nokey":
		return nil, keyError{"other"}
	case o.Value == "wrapped":
		return nil, errors.Join(errors.New("s: first"), keyError{"value"})
	}
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: actors.Routing,
		Stage: actors.StageFunc(func(*actors.Exchange) error { return nil })}, nil
}

// StageKind decodes options strictly, reports the constructor's errors at
// the options' line on one line (or at an option's key when the error
// names it), and gives the stage the kind's priority unless the
// configuration names another.
func TestStageKind(t *testing.T) {
	reg := testRegistry()
	k := config.StageKind("a stage kind", actors.Routing, newTestStage)
	if k.Priority != actors.Routing || k.Doc != "a stage kind" {
		t.Fatalf("StageKind = priority %s, doc %q", k.Priority, k.Doc)
	}
	reg.Register("s", k)
	tests := []struct {
		name, stage, want string
		wantPriority      actors.Priority
	}{
		{name: "ok", stage: "    options: {value: x}\n", wantPriority: actors.Routing},
		{name: "no options", stage: "", wantPriority: actors.Routing},
		{name: "priority key overrides", stage: "    priority: business\n", wantPriority: actors.Business},
		{name: "build error as is, one line", stage: "    options: {value: bad}\n", want: "k.yaml:3: s: value must not be bad; really"},
		{name: "unknown option at its line", stage: "    options:\n      value: x\n      valu: x\n", want: `k.yaml:5: unknown option "valu"`},
		{name: "an option's error at its key", stage: "    options:\n      value: x\n      limit: {n: -1}\n", want: "k.yaml:5: s: limit is wrong"},
		{name: "an option's error inside a join", stage: "    options:\n      limit: {n: 1}\n      value: wrapped\n", want: "k.yaml:5: s: first; s: value is wrong"},
		{name: "an option's error without its key at the options", stage: "    options:\n      value: nokey\n", want: "k.yaml:4: s: other is wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := "stages:\n  x:\n" + tt.stage + "    kind: s\nroutes: [{method: GET, path: /, handler: ok, stages: [x]}]\n"
			cfg, err := config.Parse("k.yaml", []byte(y), reg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Parse = %v", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Fatalf("Parse = %v, want %q", err, tt.want)
			case tt.want == "":
				spec := cfg.Stages["x"]
				if spec.Name != "x" || spec.Priority != tt.wantPriority {
					t.Errorf("stage = %q of priority %s, want %q of priority %s", spec.Name, spec.Priority, "x", tt.wantPriority)
				}
			}
		})
	}
}
