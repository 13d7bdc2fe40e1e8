package ratelimit_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/cluster/lease"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages/ratelimit"
	"github.com/troupe-go/troupe/stagetest"
)

// fakeCluster is a ratelimit.Cluster whose members are this process's
// pools, all leasing from one in-memory owner of every bucket, with a
// switch that makes the owner unreachable.
type fakeCluster struct {
	now     func() time.Time
	members int

	mu      sync.Mutex
	buckets map[string]*lease.Bucket
	down    bool
}

func newFakeCluster(now func() time.Time, members int) *fakeCluster {
	return &fakeCluster{now: now, members: members, buckets: map[string]*lease.Bucket{}}
}

var errUnreachable = errors.New("grain unreachable")

func (c *fakeCluster) Lease(_ context.Context, id string, p lease.Policy, want, returned int64) (int64, time.Duration, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return 0, 0, errUnreachable
	}
	b := c.buckets[id]
	if b == nil {
		b = &lease.Bucket{}
		c.buckets[id] = b
	}
	g, r := b.Lease(p, c.now().UnixNano(), want, returned)
	return g, r, nil
}

func (c *fakeCluster) setDown(down bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.down = down
}

// member returns a ratelimit.Cluster for one member: its pools are closed
// at the test's end.
func (c *fakeCluster) member(t *testing.T) ratelimit.Cluster {
	return memberOf{c, t}
}

type memberOf struct {
	c *fakeCluster
	t *testing.T
}

func (m memberOf) Pool(cfg lease.Config) (*lease.Pool, error) {
	cfg.Transport, cfg.Now, cfg.Members = m.c, m.c.now, func() int { return m.c.members }
	p, err := lease.New(cfg)
	if err == nil {
		m.t.Cleanup(p.Close)
	}
	return p, err
}

// Three servers with one cluster-scoped limit admit the burst once between
// them, and then answer 429 with Retry-After and the RateLimit headers.
func TestClusterScopeSharesTheBucket(t *testing.T) {
	c := newClock()
	fc := newFakeCluster(c.now, 3)
	cfg := ratelimit.Config{Rate: 1, Burst: 12, Scope: ratelimit.ScopeCluster}
	servers := make([]actors.Stage, 3)
	for i := range servers {
		cfg.Cluster = fc.member(t)
		spec, err := ratelimit.New("per-client", cfg)
		if err != nil {
			t.Fatal(err)
		}
		servers[i] = spec.Stage
	}
	admitted := 0
	var last stagetest.Outcome
	for i := range 60 {
		last = run(t, servers[i%3], get("192.0.2.1:1234"))
		if last.Err == nil {
			admitted++
			if got := last.Header.Get(ratelimit.HeaderLimit); got != "12" {
				t.Errorf("RateLimit-Limit = %q, want 12", got)
			}
		}
	}
	if admitted != 12 {
		t.Errorf("three servers admitted %d of 60 at once, want 12: one burst between them", admitted)
	}
	if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" || last.Header.Get(ratelimit.HeaderRemaining) != "0" {
		t.Errorf("past the burst: %d, Retry-After %q, RateLimit-Remaining %q; want 429, a Retry-After and 0",
			last.Status, last.Header.Get("Retry-After"), last.Header.Get(ratelimit.HeaderRemaining))
	}
	if out := run(t, servers[0], get("192.0.2.2:1234")); out.Err != nil {
		t.Errorf("another client: %v, want admitted (its own bucket)", out.Err)
	}
}

func TestClusterScopeOnLoss(t *testing.T) {
	tests := []struct {
		name       string
		give       string
		wantStatus int // of the request past a local burst of 2
		wantPassed int
	}{
		{name: "open limits on this server alone", give: ratelimit.LossOpen, wantStatus: http.StatusTooManyRequests, wantPassed: 2},
		{name: "closed refuses", give: ratelimit.LossClosed, wantStatus: http.StatusServiceUnavailable, wantPassed: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			fc := newFakeCluster(c.now, 1)
			fc.setDown(true)
			spec, err := ratelimit.New("rl", ratelimit.Config{Rate: 1, Burst: 2, Scope: ratelimit.ScopeCluster, OnClusterLoss: tt.give, Cluster: fc.member(t)})
			if err != nil {
				t.Fatal(err)
			}
			passed := 0
			var out stagetest.Outcome
			for range 3 {
				out = run(t, spec.Stage, get("192.0.2.1:1"))
				if out.Err == nil {
					passed++
				}
			}
			if passed != tt.wantPassed || out.Status != tt.wantStatus || out.Header.Get("Retry-After") == "" {
				t.Errorf("on_cluster_loss %s with the grain unreachable: %d passed, then %d (Retry-After %q); want %d, then %d with a Retry-After",
					tt.give, passed, out.Status, out.Header.Get("Retry-After"), tt.wantPassed, tt.wantStatus)
			}
		})
	}
}

// clusterRegistry is the registry of these tests, with a stand-in cluster block.
func clusterRegistry(t *testing.T, fc *fakeCluster) *config.Registry {
	reg := &config.Registry{}
	ratelimit.Register(reg)
	reg.RegisterBlock("cluster", config.Block{New: func(config.Options) (any, error) { return fc.member(t), nil }})
	reg.RegisterHandler("ok", okHandler())
	return reg
}

func TestRegisterClusterScope(t *testing.T) {
	routes := "routes:\n  - {method: GET, path: /, handler: ok, stages: [rl]}\n"
	tests := []struct {
		name string
		give string
		want string // error text, "" for none
	}{
		{name: "with a cluster", give: "cluster: {}\nstages:\n  rl:\n    kind: rate_limit\n    options:\n      rate: 10\n      scope: cluster\n" + routes},
		{name: "without a cluster", give: "stages:\n  rl:\n    kind: rate_limit\n    options:\n      rate: 10\n      scope: cluster\n" + routes,
			want: "rl.yaml:6: rate limit \"rl\": scope cluster needs a cluster"},
		{name: "a bad on_cluster_loss", give: "cluster: {}\nstages:\n  rl:\n    kind: rate_limit\n    options:\n      rate: 10\n      scope: cluster\n      on_cluster_loss: maybe\n" + routes,
			want: "rl.yaml:8: rate limit \"rl\": on_cluster_loss \"maybe\": want open or closed"},
		{name: "a bad scope", give: "stages:\n  rl:\n    kind: rate_limit\n    options:\n      rate: 10\n      scope: global\n" + routes,
			want: "rl.yaml:6: rate limit \"rl\": scope \"global\": want local or cluster"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			_, err := config.Parse("rl.yaml", []byte(tt.give), clusterRegistry(t, newFakeCluster(c.now, 1)))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Parse = %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Parse = %v, want %q", err, tt.want)
			}
		})
	}
}

// okHandler is a handler kind that answers 200.
func okHandler() config.Kind {
	return config.Kind{New: func(name string, _ config.Options) (*actors.Spec, error) {
		return &actors.Spec{Kind: actors.Stateless, Stage: actors.StageFunc(func(*actors.Exchange) error { return nil })}, nil
	}}
}
