package batchproxy_test

import (
	"strings"
	"testing"

	"github.com/troupe-go/troupe/batching/batchproxy"
	"github.com/troupe-go/troupe/config"
)

// Bad options are refused at parse time, with the file and line.
func TestRegisterRejects(t *testing.T) {
	tests := []struct {
		name, give, want string
	}{
		{name: "no upstream", give: "{id_field: id}", want: "proxy.yaml:5: batch_proxy: batch proxy \"POST /p\": upstream is required"},
		{name: "not http", give: "{upstream: ftp://x/y}", want: `is not an http or https URL`},
		{name: "no host", give: "{upstream: http:///relative}", want: `is not an http or https URL`},
		{name: "no scheme", give: "{upstream: /relative}", want: `proxy.yaml:5: batch_proxy: upstream "/relative" is neither a URL`},
		{name: "unknown option", give: "{upstream: http://x/, itemz_field: a}", want: `proxy.yaml:5: unknown option "itemz_field"`},
		{name: "same fields", give: "{upstream: http://x/, status_field: s, body_field: s}", want: "must differ"},
		{name: "bad batch", give: "{upstream: http://x/, batch: {max_delay: -1s}}", want: "must not be negative"},
		{name: "bad duration", give: "{upstream: http://x/, timeout: soon}", want: "proxy.yaml:5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := &config.Registry{}
			batchproxy.Register(reg)
			src := "routes:\n  - method: POST\n    path: /p\n    handler: batch_proxy\n    options: " + tt.give + "\n"
			if _, err := config.Parse("proxy.yaml", []byte(src), reg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%s) = %v, want an error containing %q", tt.give, err, tt.want)
			}
		})
	}
}
