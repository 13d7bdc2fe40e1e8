package cluster_test

import (
	"strings"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/cluster"
	"github.com/troupe-go/troupe/config"
)

func parse(src string) (*config.Config, error) {
	reg := &config.Registry{}
	cluster.Register(reg)
	reg.RegisterHandler("ok", config.Kind{New: func(name string, _ config.Options) (*actors.Spec, error) {
		return &actors.Spec{Kind: actors.Stateless, Stage: actors.StageFunc(func(*actors.Exchange) error { return nil })}, nil
	}})
	return config.Parse("c.yaml", []byte(src+"routes: [{method: GET, path: /, handler: ok}]\n"), reg)
}

func TestRegister(t *testing.T) {
	tests := []struct {
		name string
		give string
		want []string // errors, each FILE:LINE: reason; none for a good file
	}{
		{name: "automanaged", give: "cluster:\n  port: 7101\n  health_port: 7201\n  seeds: [127.0.0.1:7201, 127.0.0.1:7202]\n  request_timeout: 100ms\n"},
		{name: "etcd", give: "cluster:\n  provider: etcd\n  port: 7101\n  endpoints: [127.0.0.1:2379]\n"},
		{name: "every problem at its line", give: "cluster:\n  port: 7101\n  provider: automanaged\n  seeds: [nohost]\n  identity_lookup: partition\n", want: []string{
			"c.yaml:2: cluster.health_port: automanaged needs",
			`c.yaml:4: cluster.seeds: "nohost": want host:port`,
			`c.yaml:5: cluster.identity_lookup: unknown identity lookup "partition"`,
		}},
		{name: "an unknown key", give: "cluster:\n  port: 7101\n  seed: [a]\n", want: []string{"c.yaml:3:"}},
		{name: "inmem from a file", give: "cluster:\n  provider: inmem\n", want: []string{"c.yaml:2: cluster.provider: inmem joins members of one Go process"}},
		{name: "a bad duration", give: "cluster:\n  port: 7101\n  health_port: 7201\n  seeds: [127.0.0.1:7201]\n  lease_ttl: soon\n", want: []string{"c.yaml:5:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parse(tt.give)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Parse(%q) = %v", tt.give, err)
				}
				if v, ok := cfg.Block(cluster.BlockKey); !ok || v.(*cluster.Node) == nil {
					t.Errorf("Block(cluster) = %v, %v; want a Node", v, ok)
				}
				return
			}
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Parse(%q) = %v, want %q among its errors", tt.give, err, w)
				}
			}
		})
	}
}

// Without a cluster block, nothing of the cluster is built.
func TestNoBlockNoNode(t *testing.T) {
	cfg, err := parse("")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := cfg.Block(cluster.BlockKey); ok {
		t.Errorf("Block(cluster) = %v without a cluster section", v)
	}
}
