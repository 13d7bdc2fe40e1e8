package config_test

import (
	"strings"
	"testing"

	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages"
)

// concurrency: N caps a stateless stage or a route's handler; a stateful
// stage is refused at the key's line, since its actor runs one request at a
// time already.
func TestConcurrencyKey(t *testing.T) {
	reg := testRegistry()
	stages.Register(reg)
	cfg, err := config.Parse("c.yaml", []byte(`
stages:
  head:
    kind: tag
    options: {value: a}
    concurrency: 2
routes:
  - {method: GET, path: /x, handler: ok, stages: [head], concurrency: 4}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Stages["head"].Concurrency; got != 2 {
		t.Errorf("stage concurrency = %d, want 2", got)
	}
	if got := cfg.Routes[0].Handler.Concurrency; got != 4 {
		t.Errorf("handler concurrency = %d, want 4", got)
	}

	_, err = config.Parse("c.yaml", []byte(`
stages:
  limit:
    kind: rate_limit
    options: {rate: 10, burst: 10}
    concurrency: 2
routes:
  - {method: GET, path: /x, handler: ok, stages: [limit]}
`), reg)
	if err == nil || !strings.Contains(err.Error(), "c.yaml:6: ") || !strings.Contains(err.Error(), "stateful") {
		t.Errorf("concurrency on a stateful stage: %v, want an error at c.yaml:6 saying it is stateful", err)
	}
}
