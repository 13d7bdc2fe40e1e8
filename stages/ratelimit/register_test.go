package ratelimit_test

import (
	"strings"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages/ratelimit"
)

// parse parses a config whose stage "rl" has the given options and which
// one route uses.
func parse(options string) (*config.Config, error) {
	reg := &config.Registry{}
	ratelimit.Register(reg)
	reg.RegisterHandler("ok", config.Kind{New: func(name string, _ config.Options) (*actors.Spec, error) {
		return &actors.Spec{Kind: actors.Stateless, Stage: actors.StageFunc(func(*actors.Exchange) error { return nil })}, nil
	}})
	src := "stages:\n  rl:\n    kind: rate_limit\n    options: " + options + "\nroutes:\n  - {method: GET, path: /, handler: ok, stages: [rl]}\n"
	return config.Parse("rl.yaml", []byte(src), reg)
}

func TestRegister(t *testing.T) {
	tests := []struct {
		name           string
		give           string
		wantPartitions int
	}{
		{name: "rate and burst", give: "{rate: 10, burst: 20, partitions: 3}", wantPartitions: 3},
		{name: "limit and period", give: "{limit: 100, period: 1m, key: subject, partitions: 2}", wantPartitions: 2},
		{name: "header key and ttl", give: `{rate: 0.5, key: "header:X-Partner", idle_ttl: 10m, max_keys: 1000, partitions: 1}`, wantPartitions: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parse(tt.give)
			if err != nil {
				t.Fatalf("Parse(%s) = %v", tt.give, err)
			}
			spec := cfg.Stages["rl"]
			if spec.Kind != actors.Stateful || spec.Priority != actors.Auth || spec.Partitions != tt.wantPartitions {
				t.Errorf("spec = %s %s ×%d, want stateful auth ×%d", spec.Kind, spec.Priority, spec.Partitions, tt.wantPartitions)
			}
		})
	}
}

func TestRegisterRejects(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "no rate", give: "{burst: 3}", want: "rl.yaml:4: rate limit \"rl\": rate (or limit and period) is required"},
		{name: "unknown option", give: "{rate: 1, brust: 3}", want: `rl.yaml:4: unknown option "brust"`},
		{name: "bad key", give: "{rate: 1, key: cookie}", want: `key "cookie"`},
		{name: "bad duration", give: "{limit: 1, period: soon}", want: "rl.yaml:4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(tt.give)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%s) = %v, want an error containing %q", tt.give, err, tt.want)
			}
		})
	}
}
