package config_test

import (
	"strings"
	"testing"

	"github.com/troupe-go/troupe/config"
	"go.yaml.in/yaml/v3"
)

// options parses src as the options of a kind in file o.yaml.
func options(t *testing.T, src string) config.Options {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatalf("yaml.Unmarshal(%q): %v", src, err)
	}
	return config.NewOptions("o.yaml", &n)
}

type inner struct {
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
}

type common struct {
	Debug bool `yaml:"debug"`
}

type kindOptions struct {
	common   `yaml:",inline"`
	Name     string           `yaml:"name"`
	Backends []inner          `yaml:"backends"`
	ByZone   map[string]inner `yaml:"by_zone"`
	Primary  *inner           `yaml:"primary"`
	Raw      yaml.Node        `yaml:"raw"`
	Untagged string
	Skipped  string `yaml:"-"`
}

func TestOptionsDecode(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string // fmt of the decoded Name/Backends/Primary
	}{
		{name: "none", give: "", want: "default"},
		{name: "null", give: "~", want: "default"},
		{name: "flat", give: "name: x", want: "x"},
		{name: "inline", give: "name: x\ndebug: true", want: "x"},
		{name: "untagged field is lowercased", give: "name: x\nuntagged: y", want: "x"},
		{name: "nested", give: "name: x\nbackends: [{host: a, port: 1}]\nby_zone: {eu: {host: b}}\nprimary: {host: c}", want: "x"},
		{name: "raw node takes anything", give: "name: x\nraw: {whatever: [1, {deep: 2}]}", want: "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kindOptions{Name: "default"}
			if err := options(t, tt.give).Decode(&o); err != nil {
				t.Fatalf("Decode(%q) = %v, want nil", tt.give, err)
			}
			if o.Name != tt.want {
				t.Errorf("Decode(%q): Name = %q, want %q", tt.give, o.Name, tt.want)
			}
		})
	}
}

func TestOptionsDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want []string // one line per error
	}{
		{
			name: "unknown key",
			give: "name: x\nnmae: y",
			want: []string{`o.yaml:2: unknown option "nmae" (want one of backends, by_zone, debug, name, primary, raw, untagged)`},
		},
		{
			name: "skipped field is unknown",
			give: "skipped: y",
			want: []string{`o.yaml:1: unknown option "skipped"`},
		},
		{
			name: "unknown key in a list item",
			give: "backends:\n  - host: a\n  - hots: b",
			want: []string{`o.yaml:3: unknown option "hots" (want one of host, port)`},
		},
		{
			name: "unknown key in a map value",
			give: "by_zone:\n  eu:\n    prot: 1",
			want: []string{`o.yaml:3: unknown option "prot"`},
		},
		{
			name: "unknown key behind a pointer",
			give: "primary:\n  hots: a",
			want: []string{`o.yaml:2: unknown option "hots"`},
		},
		{
			name: "wrong type",
			give: "name: x\nbackends:\n  - port: eighty",
			want: []string{"o.yaml:3: bad option value: cannot unmarshal !!str `eighty` into int"},
		},
		{
			name: "every error",
			give: "nmae: y\nbackends:\n  - port: eighty\n  - hots: b",
			want: []string{
				`o.yaml:1: unknown option "nmae"`,
				"o.yaml:3: bad option value: cannot unmarshal !!str `eighty` into int",
				`o.yaml:4: unknown option "hots"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o kindOptions
			err := options(t, tt.give).Decode(&o)
			if err == nil {
				t.Fatalf("Decode(%q) = nil, want %q", tt.give, tt.want)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tt.want) {
				t.Fatalf("Decode(%q) = %q, want %q", tt.give, got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("Decode(%q) error %d = %q, want %q", tt.give, i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestOptionsNoOptions(t *testing.T) {
	var none struct{}
	err := options(t, "a: 1").Decode(&none)
	if want := `o.yaml:1: unknown option "a": this kind takes no options`; err == nil || err.Error() != want {
		t.Errorf("Decode = %v, want %q", err, want)
	}
}

func TestOptionsErrorf(t *testing.T) {
	o := options(t, "\n\nname: x")
	if got, want := o.Errorf("bad %s", "name").Error(), "o.yaml:3: bad name"; got != want {
		t.Errorf("Errorf = %q, want %q", got, want)
	}
	if o.Empty() {
		t.Error("Empty() = true for options with a key")
	}
	if !options(t, "").Empty() {
		t.Error("Empty() = false for no options")
	}
}
