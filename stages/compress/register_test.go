package compress_test

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages/compress"
	"github.com/troupe-go/troupe/stagetest"
	"go.yaml.in/yaml/v3"
)

// build builds a compress stage from YAML options, as a config file
// would.
func build(t *testing.T, src string) (*actors.Spec, error) {
	t.Helper()
	var reg config.Registry
	compress.Register(&reg)
	k, ok := reg.Stage("compress")
	if !ok {
		t.Fatal("Register did not add the kind compress")
	}
	if k.Priority != actors.Terminating || k.Doc == "" {
		t.Errorf("kind compress: priority %v, doc %q; want terminating with a doc", k.Priority, k.Doc)
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatalf("yaml.Unmarshal(%q): %v", src, err)
	}
	return k.New("compress", config.NewOptions("c.yaml", &n))
}

func TestKind(t *testing.T) {
	spec, err := build(t, "min_size: 10\nencodings: [gzip]\ngzip_level: 9\ntypes: [application/x-custom]")
	if err != nil {
		t.Fatal(err)
	}
	spec.Name = "compress"
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("Accept-Encoding", "zstd, gzip")
	body := bytes.Repeat([]byte("abc "), 10)
	out := stagetest.RunSpec(t, spec, r, stagetest.WithHandler(respond(200, "application/x-custom", body)))
	if got := out.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip (the only one offered)", got)
	}
	if got := decode(t, "gzip", out.Body); !bytes.Equal(got, body) {
		t.Errorf("decoded body differs")
	}
}

// Bad options are errors at their line in the file.
func TestKindErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"unknown option", "threshold: 10", `c.yaml:1: unknown option "threshold" (want one of encodings, gzip_level, min_size, types, zstd_level)`},
		{"two problems", "encodings: [br]\nmin_size: -5", `c.yaml:1: compress: min_size: -5 is negative; encodings: "br" is not one of zstd, gzip`},
		{"size as a string", "\nmin_size: 1KiB", "c.yaml:2: bad option value: cannot unmarshal !!str `1KiB` into int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := build(t, tt.give)
			if err == nil || err.Error() != tt.want {
				t.Errorf("New(%q) = %v, want %q", tt.give, err, tt.want)
			}
		})
	}
}
