package config_test

import (
	"slices"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

func TestRegistryKinds(t *testing.T) {
	reg := testRegistry()
	if got, want := reg.StageKinds(), []string{"tag"}; !slices.Equal(got, want) {
		t.Errorf("StageKinds() = %q, want %q", got, want)
	}
	if got, want := reg.HandlerKinds(), []string{"ok"}; !slices.Equal(got, want) {
		t.Errorf("HandlerKinds() = %q, want %q", got, want)
	}
	if k, ok := reg.Stage("tag"); !ok || k.Priority != actors.Auth {
		t.Errorf("Stage(tag) = %+v, %v; want the tag kind", k, ok)
	}
	if _, ok := reg.Stage("ok"); ok {
		t.Error("Stage(ok) found a handler kind")
	}
}

func TestRegistryPanics(t *testing.T) {
	newSpec := func(string, config.Options) (*actors.Spec, error) { return nil, nil }
	tests := []struct {
		name     string
		register func(reg *config.Registry)
	}{
		{name: "empty name", register: func(reg *config.Registry) { reg.Register("", config.Kind{New: newSpec}) }},
		{name: "no constructor", register: func(reg *config.Registry) { reg.Register("x", config.Kind{}) }},
		{name: "stage kind twice", register: func(reg *config.Registry) { reg.Register("tag", config.Kind{New: newSpec}) }},
		{name: "handler named like a stage kind", register: func(reg *config.Registry) { reg.RegisterHandler("tag", config.Kind{New: newSpec}) }},
		{name: "stage named like a handler kind", register: func(reg *config.Registry) { reg.Register("ok", config.Kind{New: newSpec}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tt.name)
				}
			}()
			tt.register(testRegistry())
		})
	}
}

func TestKindBuildsInvalidStage(t *testing.T) {
	reg := &config.Registry{}
	reg.RegisterHandler("broken", config.Kind{New: func(name string, _ config.Options) (*actors.Spec, error) {
		return &actors.Spec{Name: name}, nil // a pure stage without Stage
	}})
	_, err := config.Parse("b.yaml", []byte("routes:\n  - method: GET\n    path: /\n    handler: broken\n"), reg)
	want := `b.yaml:4: kind "broken" built an invalid stage`
	if err == nil || len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("Parse = %v, want %q…", err, want)
	}
}
