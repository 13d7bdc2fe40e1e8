package envelope_test

import (
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages/envelope"
	"go.yaml.in/yaml/v3"
)

func TestRegister(t *testing.T) {
	var reg config.Registry
	envelope.Register(&reg)
	k, ok := reg.Stage("envelope")
	if !ok {
		t.Fatal("Register did not add the kind envelope")
	}
	if k.Priority != actors.Global || k.Doc == "" {
		t.Errorf("kind priority %s doc %q, want global and a doc", k.Priority, k.Doc)
	}
	spec, err := k.New("envelope", config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(); err != nil || spec.Kind != actors.Stateless {
		t.Errorf("spec = %s (%v), want a valid pure stage", spec.Kind, err)
	}
	if _, ok := spec.Stage.(actors.AfterStage); !ok {
		t.Error("the envelope stage has no after-phase")
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("data_field: payload"), &n); err != nil {
		t.Fatal(err)
	}
	_, err = k.New("envelope", config.NewOptions("test.yaml", &n))
	if want := `test.yaml:1: unknown option "data_field": this kind takes no options`; err == nil || err.Error() != want {
		t.Errorf("New with an option = %v, want %q", err, want)
	}
}
