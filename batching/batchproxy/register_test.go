package batchproxy_test

import (
	"strings"
	"testing"

	"github.com/troupe-go/troupe/batching/batchproxy"
	"github.com/troupe-go/troupe/cluster"
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
		{name: "scope cluster without a cluster", give: "\n      upstream: http://x/\n      batch:\n        max_batch_size: 8\n        scope: cluster",
			want: "proxy.yaml:9: batch_proxy: batch.scope cluster needs a cluster"},
		{name: "bad scope", give: "{upstream: http://x/, batch: {scope: galaxy}}", want: `scope "galaxy": want local or cluster`},
		{name: "bad loss", give: "{upstream: http://x/, batch: {on_cluster_loss: maybe}}", want: `on_cluster_loss "maybe": want open or closed`},
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

// With a cluster section, batch.scope cluster builds: the proxy's batcher
// joins the cluster's node.
func TestRegisterScopeCluster(t *testing.T) {
	reg := &config.Registry{}
	cluster.Register(reg)
	batchproxy.Register(reg)
	src := "cluster: {port: 7101, health_port: 7201, seeds: [127.0.0.1:7201]}\n" +
		"routes:\n  - method: POST\n    path: /p\n    handler: batch_proxy\n" +
		"    options: {upstream: http://x/, batch: {scope: cluster, on_cluster_loss: closed}}\n"
	if _, err := config.Parse("proxy.yaml", []byte(src), reg); err != nil {
		t.Fatalf("Parse = %v", err)
	}
}
