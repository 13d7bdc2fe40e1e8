package upstream

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/cluster/breakerlease"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/internal/fakeclock"
)

// fakeCluster stands in for a cluster's breaker grains: one in-memory
// owner per breaker name, shared by the members it gives out, on clock's
// time; down makes every owner unreachable.
type fakeCluster struct {
	clock   *fakeclock.Clock
	members int
	down    atomic.Bool

	mu       sync.Mutex
	breakers map[string]*breakerlease.Breaker
}

func newFakeCluster(members int) *fakeCluster {
	return &fakeCluster{clock: fakeclock.New(), members: members, breakers: map[string]*breakerlease.Breaker{}}
}

// Breaker implements Cluster: a member of the breaker cfg.Name, closed
// when the test ends.
func (c *fakeCluster) Breaker(cfg breakerlease.Config) (*breakerlease.Member, error) {
	cfg.Transport, cfg.Now, cfg.Lease = c, c.clock.Now, time.Second
	cfg.Members = func() int { return c.members }
	return breakerlease.New(cfg)
}

// Renew implements breakerlease.Transport.
func (c *fakeCluster) Renew(_ context.Context, id string, p breakerlease.Policy, lease time.Duration, r breakerlease.Report) (breakerlease.Grant, error) {
	if c.down.Load() {
		return breakerlease.Grant{}, errors.New("grain unreachable")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.breakers[id]
	if b == nil {
		b = &breakerlease.Breaker{}
		c.breakers[id] = b
	}
	return b.Renew(p, c.clock.Now().UnixNano(), lease, r), nil
}

// clusterMember returns a started upstream named "shared" with a breaker
// of scope cluster in c, to target; the test closes its lease.
func clusterMember(t *testing.T, c *fakeCluster, target string, b BreakerConfig) *Proxy {
	t.Helper()
	b.Scope = ScopeCluster
	p := proxy(t, Config{Name: "shared", Targets: []string{target}, Breaker: b, Retry: RetryConfig{MaxAttempts: 1}}, ProxyConfig{}, WithCluster(c))
	t.Cleanup(p.up.cluster.Close) // Stop closes it too; twice is safe
	return p
}

// Three servers proxying to one failing upstream trip its cluster-wide
// breaker on their failures summed: the upstream sees about
// consecutive_failures calls in all (plus at most each server's share,
// spent before it heard), not three times that; then every server
// answers 503 with Retry-After without calling it. Past the open timeout,
// one server's probe closes it, and within a lease every server calls the
// upstream again.
func TestClusterBreakerSharedByServers(t *testing.T) {
	var answer atomic.Int64 // the upstream's status
	answer.Store(http.StatusBadGateway)
	srv := newUpstreamServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(int(answer.Load())) })
	c := newFakeCluster(3)
	b := BreakerConfig{ConsecutiveFailures: 6, OpenTimeout: 30 * time.Second}
	servers := []*Proxy{clusterMember(t, c, srv.URL, b), clusterMember(t, c, srv.URL, b), clusterMember(t, c, srv.URL, b)}
	refusals := 0
	for i := 0; i < 60; i++ {
		a := get(t, servers[i%3], "/x", 5*time.Second)
		if a.status == http.StatusServiceUnavailable && a.header.Get("Retry-After") != "" {
			refusals++
		}
	}
	calls := srv.calls.Load()
	share := int64(2) // ⌈6/3⌉
	t.Logf("the upstream got %d calls of 60 from three servers (consecutive_failures 6); %d refused", calls, refusals)
	if calls < 6 || calls > 6+3*share {
		t.Errorf("the failing upstream got %d calls, want 6 to %d (not 3 × 6)", calls, 6+3*share)
	}
	for i, p := range servers {
		a := get(t, p, "/x", 5*time.Second)
		if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") != "30" {
			t.Errorf("server %d after the trip: %d, Retry-After %q; want 503, 30", i, a.status, a.header.Get("Retry-After"))
		}
		if st := p.up.Status(); st.State != Open {
			t.Errorf("server %d: Status().State = %v, want open", i, st.State)
		}
	}
	if calls2 := srv.calls.Load(); calls2 != calls {
		t.Errorf("the upstream got %d calls after every server refused", calls2-calls)
	}

	answer.Store(http.StatusOK) // the upstream is back
	c.clock.Advance(b.OpenTimeout)
	if a := get(t, servers[2], "/x", 5*time.Second); a.status != http.StatusOK {
		t.Fatalf("server 2's probe: %d, want 200", a.status)
	}
	// The probe's report is on its way: server 2's next call waits for
	// the verdict, so the grain has closed once it is answered.
	if a := get(t, servers[2], "/x", 5*time.Second); a.status != http.StatusOK {
		t.Fatalf("server 2 after its probe: %d, want 200", a.status)
	}
	c.clock.Advance(time.Second) // one lease
	for i, p := range servers {
		if a := get(t, p, "/x", 5*time.Second); a.status != http.StatusOK {
			t.Errorf("server %d a lease after the close: %d, want 200", i, a.status)
		}
	}
}

// While the grain cannot be reached, on_cluster_loss decides: open lets
// the server's own breaker decide (it trips on this server's failures
// alone); closed answers 503 with Retry-After without calling.
func TestClusterBreakerOnLoss(t *testing.T) {
	for _, tt := range []struct {
		loss      string
		wantCalls int64 // of 5 requests to a failing upstream
	}{{LossOpen, 2}, {LossClosed, 0}} {
		t.Run(tt.loss, func(t *testing.T) {
			srv := newUpstreamServer(t, status(http.StatusBadGateway))
			c := newFakeCluster(1)
			c.down.Store(true)
			p := clusterMember(t, c, srv.URL, BreakerConfig{ConsecutiveFailures: 2, OnClusterLoss: tt.loss})
			var last answer
			for range 5 {
				last = get(t, p, "/x", 5*time.Second)
			}
			if got := srv.calls.Load(); got != tt.wantCalls {
				t.Errorf("grain lost, on_cluster_loss %s: the upstream got %d calls of 5, want %d", tt.loss, got, tt.wantCalls)
			}
			if last.status != http.StatusServiceUnavailable || last.header.Get("Retry-After") == "" {
				t.Errorf("grain lost, on_cluster_loss %s: last answer %d, Retry-After %q; want 503 with one", tt.loss, last.status, last.header.Get("Retry-After"))
			}
			if st := p.up.Status(); st.State != Open {
				t.Errorf("Status().State = %v, want open (the local breaker's, or refusing all)", st.State)
			}
		})
	}
}

// scope and on_cluster_loss are checked at their lines, and scope cluster
// needs a cluster section.
func TestClusterBreakerConfig(t *testing.T) {
	routes := "routes:\n  - {method: GET, path: /p, handler: proxy, options: {upstream: shared}}\n"
	tests := []struct {
		name, give, want string
	}{
		{"with a cluster", "cluster: {}\nupstreams:\n  shared:\n    targets: [\"http://a\"]\n    breaker:\n      scope: cluster\n" + routes, ""},
		{"flow style", "cluster: {}\nupstreams:\n  shared: {targets: [\"http://a\"], breaker: {scope: cluster, on_cluster_loss: closed}}\n" + routes, ""},
		{"without a cluster", "upstreams:\n  shared:\n    targets: [\"http://a\"]\n    breaker:\n      consecutive_failures: 3\n      scope: cluster\n" + routes,
			`test.yaml:6: upstream "shared": breaker: scope cluster needs a cluster (a cluster section in the configuration)`},
		{"a bad scope", "cluster: {}\nupstreams:\n  shared:\n    targets: [\"http://a\"]\n    breaker:\n      scope: global\n" + routes,
			`test.yaml:6: upstream "shared": breaker: scope "global": want local or cluster`},
		{"a bad on_cluster_loss", "cluster: {}\nupstreams:\n  shared:\n    targets: [\"http://a\"]\n    breaker:\n      scope: cluster\n      on_cluster_loss: maybe\n" + routes,
			`test.yaml:7: upstream "shared": breaker: on_cluster_loss "maybe": want open or closed`},
		{"a route's own upstream", "routes:\n  - method: GET\n    path: /p\n    handler: proxy\n    options:\n      targets: [\"http://a\"]\n      breaker: {scope: cluster}\n",
			`test.yaml:7: upstream "GET /p": breaker: scope cluster needs a cluster`},
		{"other errors still found", "upstreams:\n  shared:\n    breaker: {scope: cluster}\n" + routes,
			"test.yaml:3: upstream \"shared\": breaker: scope cluster needs a cluster (a cluster section in the configuration)\ntest.yaml:3: upstream \"shared\": targets: at least one is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newFakeCluster(1)
			var reg config.Registry
			Register(&reg)
			reg.RegisterBlock("cluster", config.Block{New: func(config.Options) (any, error) { return c, nil }})
			reg.RegisterHandler("ok", config.Kind{New: func(string, config.Options) (*actors.Spec, error) {
				return &actors.Spec{Kind: actors.Stateless, Stage: actors.StageFunc(func(*actors.Exchange) error { return nil })}, nil
			}})
			_, err := config.Parse("test.yaml", []byte(tt.give), &reg)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Parse = %v", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Errorf("Parse = %v\nwant %s", err, tt.want)
			}
		})
	}
}
