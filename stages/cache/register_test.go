package cache_test

import (
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages/cache"
	"go.yaml.in/yaml/v3"
)

// options parses src as a stage's options.
func options(t *testing.T, src string) config.Options {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatalf("yaml.Unmarshal(%q): %v", src, err)
	}
	return config.NewOptions("test.yaml", &n)
}

func kind(t *testing.T) config.Kind {
	t.Helper()
	var reg config.Registry
	cache.Register(&reg)
	k, ok := reg.Stage("cache")
	if !ok {
		t.Fatal("Register did not add the kind cache")
	}
	return k
}

func TestRegister(t *testing.T) {
	tests := []struct {
		name           string
		give           string
		wantPartitions int
	}{
		{name: "no options", give: "", wantPartitions: cache.DefaultPartitions},
		{name: "all options", give: "{ttl: 30s, max_bytes: 1048576, max_entry_bytes: 65536, partitions: 8, max_variants: 2, statuses: [200, 404]}", wantPartitions: 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := kind(t)
			if k.Priority != actors.Preprocessing || k.Doc == "" {
				t.Errorf("kind priority %s, doc %q; want preprocessing and a doc", k.Priority, k.Doc)
			}
			spec, err := k.New("c", options(t, tt.give))
			if err != nil {
				t.Fatalf("New(%q) = %v", tt.give, err)
			}
			if spec.Kind != actors.Stateful || spec.Partitions != tt.wantPartitions {
				t.Errorf("New(%q) = %s with %d partitions, want stateful with %d", tt.give, spec.Kind, spec.Partitions, tt.wantPartitions)
			}
		})
	}
}

func TestRegisterErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "unknown option", give: "tll: 1s", want: `test.yaml:1: unknown option "tll" (want one of max_bytes, max_entry_bytes, max_variants, partitions, stale_if_error, statuses, ttl)`},
		{name: "bad duration", give: "ttl: soon", want: "test.yaml:1: bad option value: cannot unmarshal !!str `soon` into time.Duration"},
		{name: "bad value", give: "partitions: 0\nstatuses: [304]", want: "test.yaml:1: cache: status 304 cannot be cached (want 200–599, not 206 or 304)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kind(t).New("c", options(t, tt.give))
			if err == nil || err.Error() != tt.want {
				t.Errorf("New(%q) = %v, want %q", tt.give, err, tt.want)
			}
		})
	}
}
