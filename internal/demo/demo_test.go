package demo

import (
	"io"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/internal/pipeline"
	"go.yaml.in/yaml/v3"
)

// options parses src as the options of a kind.
func options(t *testing.T, src string) config.Options {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatalf("yaml.Unmarshal(%q): %v", src, err)
	}
	return config.NewOptions("demo.yaml", &n)
}

// build builds a stage of kind k from options src.
func build(t *testing.T, k config.Kind, src string) *actors.Spec {
	t.Helper()
	spec, err := k.New("test", options(t, src))
	if err != nil {
		t.Fatalf("New(%q) = %v", src, err)
	}
	if err := spec.Validate(); err != nil {
		t.Fatalf("New(%q) built an invalid spec: %v", src, err)
	}
	return spec
}

// exchange returns an exchange for method and target with body.
func exchange(t *testing.T, method, target string, body io.Reader) *actors.Exchange {
	t.Helper()
	return pipeline.NewExchange(t.Context(), httptest.NewRequest(method, target, body), nil)
}

func TestRegister(t *testing.T) {
	var reg config.Registry
	Register(&reg)
	if got, want := reg.StageKinds(), []string{"flaky", "header"}; !slices.Equal(got, want) {
		t.Errorf("StageKinds() = %q, want %q", got, want)
	}
	if got, want := reg.HandlerKinds(), []string{"echo", "hello", "items_create", "items_get"}; !slices.Equal(got, want) {
		t.Errorf("HandlerKinds() = %q, want %q", got, want)
	}
}

// TestOptionErrors checks each kind's option errors: all carry file:line.
func TestOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		kind config.Kind
		give string
		want string
	}{
		{name: "header without name", kind: headerKind(), give: "value: x", want: `demo.yaml:1: header: option name must be a header name such as X-Demo, got ""`},
		{name: "header with a bad name", kind: headerKind(), give: "name: 'X Demo'", want: `demo.yaml:1: header: option name must be a header name such as X-Demo, got "X Demo"`},
		{name: "header with a newline in its value", kind: headerKind(), give: "name: X\nvalue: \"a\\nb\"", want: "demo.yaml:1: header: option value must not hold control characters"},
		{name: "header with an unknown option", kind: headerKind(), give: "name: X\n\nvlaue: y", want: `demo.yaml:3: unknown option "vlaue" (want one of name, value)`},
		{name: "flaky with an empty parameter", kind: flakyKind(), give: "panic_param: ''", want: "demo.yaml:1: flaky: option panic_param must not be empty"},
		{name: "flaky with an unknown option", kind: flakyKind(), give: "probability: 1", want: `demo.yaml:1: unknown option "probability" (want one of panic_param)`},
		{name: "hello with a list message", kind: helloKind(), give: "message: [a]", want: "demo.yaml:1: bad option value: cannot unmarshal !!seq into string"},
		{name: "echo with options", kind: echoKind(), give: "mirror: true", want: `demo.yaml:1: unknown option "mirror": this kind takes no options`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.kind.New("test", options(t, tt.give))
			if err == nil || err.Error() != tt.want {
				t.Errorf("New(%q) = %v, want %q", tt.give, err, tt.want)
			}
		})
	}
}
