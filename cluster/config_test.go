package cluster_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/cluster"
)

func TestConfigErrors(t *testing.T) {
	good := cluster.Config{Port: 7101, HealthPort: 7201, Seeds: []string{"127.0.0.1:7201"}}
	tests := []struct {
		name    string
		give    func(c *cluster.Config)
		wantKey string
		want    string
	}{
		{name: "unknown provider", give: func(c *cluster.Config) { c.Provider = "consul" }, wantKey: "provider", want: `unknown provider "consul"`},
		{name: "automanaged without a health port", give: func(c *cluster.Config) { c.HealthPort = 0 }, wantKey: "health_port", want: "health port"},
		{name: "automanaged without seeds", give: func(c *cluster.Config) { c.Seeds = nil }, wantKey: "seeds", want: "every member's health address"},
		{name: "a seed that is not host:port", give: func(c *cluster.Config) { c.Seeds = []string{"127.0.0.1"} }, wantKey: "seeds", want: "want host:port"},
		{name: "automanaged on a free port", give: func(c *cluster.Config) { c.Port = 0 }, wantKey: "port", want: "fixed port"},
		{name: "port out of range", give: func(c *cluster.Config) { c.Port = 70000 }, wantKey: "port", want: "not a port"},
		{name: "health port is the cluster port", give: func(c *cluster.Config) { c.HealthPort = 7101 }, wantKey: "health_port", want: "also cluster.port"},
		{name: "etcd without endpoints", give: func(c *cluster.Config) { c.Provider = cluster.Etcd }, wantKey: "endpoints", want: "client addresses"},
		{name: "inmem without its meeting place", give: func(c *cluster.Config) { c.Provider = cluster.InMemory }, wantKey: "provider", want: "Config.InMem"},
		{name: "another identity lookup", give: func(c *cluster.Config) { c.IdentityLookup = "partition" }, wantKey: "identity_lookup", want: "want disthash"},
		{name: "a bad host", give: func(c *cluster.Config) { c.Host = "a b" }, wantKey: "host", want: "not an IP address"},
		{name: "negative timeout", give: func(c *cluster.Config) { c.RequestTimeout = -1 }, wantKey: "request_timeout", want: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.give(&c)
			_, err := cluster.New(c, nil)
			fe, ok := errors.AsType[*cluster.FieldError](err)
			if !ok || fe.OptionKey() != tt.wantKey || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%s) = %v, want a FieldError on %s saying %q", tt.name, err, tt.wantKey, tt.want)
			}
		})
	}
	if _, err := cluster.New(good, nil); err != nil {
		t.Errorf("New(good) = %v", err)
	}
}

// A member not started is not up, and says so where /readyz reads it.
func TestNotStartedIsDegraded(t *testing.T) {
	n, err := cluster.New(cluster.Config{Port: 7101, HealthPort: 7201, Seeds: []string{"127.0.0.1:7201"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.Up() || n.Members() != 1 {
		t.Errorf("before Start: Up() = %v, Members() = %d; want false, 1", n.Up(), n.Members())
	}
	if d := n.Degraded(); len(d) != 1 || !strings.Contains(d[0], "not a member") {
		t.Errorf("Degraded() = %q, want why it is not a member", d)
	}
}
