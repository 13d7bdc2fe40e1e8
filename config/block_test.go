package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// member is what the test block "member" builds.
type member struct{ Port int }

// blockRegistry has the block member (option port, 1 to 65535) and the
// handler kind whoami, which needs the block and answers 200.
func blockRegistry() *config.Registry {
	reg := &config.Registry{}
	reg.RegisterBlock("member", config.Block{
		Doc: "this server's membership",
		New: func(opts config.Options) (any, error) {
			var m member
			if err := opts.Decode(&m); err != nil {
				return nil, err
			}
			if m.Port < 1 || m.Port > 65535 {
				return nil, errors.Join(opts.KeyErrorf("port", "member.port: %d is not a port", m.Port))
			}
			return &m, nil
		},
	})
	reg.RegisterHandler("whoami", config.Kind{New: func(name string, opts config.Options) (*actors.Spec, error) {
		v, ok := opts.Block("member")
		if !ok {
			return nil, opts.Errorf("whoami needs the member block")
		}
		_ = v.(*member)
		return &actors.Spec{Name: name, Kind: actors.Stateless,
			Stage: actors.StageFunc(func(ex *actors.Exchange) error { ex.Respond(200, "text/plain", nil); return nil })}, nil
	}})
	return reg
}

func TestBlock(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string // an error's text, or "" for none
	}{
		{name: "given and used", give: "member: {port: 7101}\nroutes: [{method: GET, path: /, handler: whoami}]\n"},
		{name: "left out", give: "routes: [{method: GET, path: /, handler: whoami}]\n", want: "t.yaml:1: whoami needs the member block"},
		{name: "bad option at its line", give: "member:\n  port: 0\nroutes: [{method: GET, path: /, handler: whoami}]\n", want: "t.yaml:2: member.port: 0 is not a port"},
		{name: "unknown option", give: "member:\n  port: 1\n  prot: 2\nroutes: [{method: GET, path: /, handler: whoami}]\n", want: "t.yaml:3:"},
		{name: "not a mapping", give: "member: 7\nroutes: [{method: GET, path: /, handler: whoami}]\n", want: "t.yaml:1: member must be a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse("t.yaml", []byte(tt.give), blockRegistry())
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Parse(%q) = %v", tt.give, err)
				}
				if v, ok := cfg.Block("member"); !ok || v.(*member).Port != 7101 {
					t.Errorf("Block(member) = %v, %v; want port 7101", v, ok)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) = %v, want an error containing %q", tt.give, err, tt.want)
			}
		})
	}
}

func TestRegisterBlockTwice(t *testing.T) {
	reg := blockRegistry()
	defer func() {
		if recover() == nil {
			t.Error("registering a block's key as a section did not panic")
		}
	}()
	reg.RegisterSection("member", config.Section{New: func(string, config.Options) (any, error) { return nil, nil }})
}

// A reload whose block is as before keeps the very value the running
// configuration built (a cluster member stays on its port); a changed block
// is built anew.
func TestBlockCarriedOverByReload(t *testing.T) {
	reg := blockRegistry()
	const routes = "routes: [{method: GET, path: /, handler: whoami}]\n"
	prev, err := config.Parse("t.yaml", []byte("member: {port: 7101}\n"+routes), reg)
	if err != nil {
		t.Fatal(err)
	}
	same, err := config.ParseNext("t.yaml", []byte("# reformatted\nmember:\n  port: 7101\n"+routes), reg, prev)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := prev.Block("member")
	b, _ := same.Block("member")
	if a != b {
		t.Error("an unchanged block was built anew on reload, want the running one")
	}
	changed, err := config.ParseNext("t.yaml", []byte("member: {port: 7102}\n"+routes), reg, same)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := changed.Block("member"); c == b || c.(*member).Port != 7102 {
		t.Errorf("a changed block: %+v, want a new one on port 7102", c)
	}
}
