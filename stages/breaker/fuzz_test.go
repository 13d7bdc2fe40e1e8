package breaker_test

import (
	"strings"
	"testing"

	"github.com/troupe-go/troupe/config"
)

// FuzzOptions parses a configuration whose breaker stage has arbitrary
// options: Parse never panics, and either refuses them at a line of the
// file or builds a breaker that is closed and valid.
func FuzzOptions(f *testing.F) {
	for _, seed := range []string{
		"{}",
		"{consecutive_failures: 3, open_timeout: 10s}",
		"{failure_ratio: 0.5, minimum_calls: 10, window: 1m, buckets: 6}",
		"{failure_statuses: [5xx, 429, '503'], slow_call_duration: 2s}",
		"{fallback: {status: 200, content_type: application/json, body: '[]'}}",
		"{failure_ratio: 2}",
		"{buckets: 100, window: 10ns}",
		"{fallback: {status: 700}}",
		"[1, 2]",
		"{half_open_requests: 4294967296}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, options string) {
		if strings.ContainsAny(options, "\n\r") {
			t.Skip("one line of options: the source puts them on line 4")
		}
		cfg, err := config.Parse("b.yaml", []byte(source(options)), registry(newDB()))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "b.yaml:") {
				t.Fatalf("Parse(%q) = %v, want an error at a line of b.yaml", options, err)
			}
			return
		}
		spec := cfg.Stages["db"]
		if err := spec.Validate(); err != nil {
			t.Fatalf("Parse(%q) built an invalid spec: %v", options, err)
		}
	})
}
