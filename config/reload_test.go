package config_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages"
	"go.uber.org/zap"
)

// sizedPool is a shared resource for the tests: a component whose options are
// a size, counting its starts and stops.
type sizedPool struct {
	size          int
	starts, stops atomic.Int32  // Stop runs on the goroutine retiring its generation
	stopped       chan struct{} // closed by the first Stop
}

func (p *sizedPool) Start(*actors.System) error { p.starts.Add(1); return nil }
func (p *sizedPool) Stop(ctx context.Context) error {
	if p.stops.Add(1) == 1 {
		close(p.stopped)
	}
	return nil
}

// reloadRegistry is testRegistry with the catalogue, a section "pools"
// and a handler kind "pooled" that names one.
func reloadRegistry() *config.Registry {
	reg := testRegistry()
	stages.Register(reg)
	reg.RegisterSection("pools", config.Section{Doc: "pools", New: func(name string, opts config.Options) (any, error) {
		var o struct {
			Size int `yaml:"size"`
		}
		if err := opts.Decode(&o); err != nil {
			return nil, err
		}
		return &sizedPool{size: o.Size, stopped: make(chan struct{})}, nil
	}})
	reg.RegisterHandler("pooled", config.Kind{Doc: "uses a pool", New: func(name string, opts config.Options) (*actors.Spec, error) {
		if _, err := opts.Shared("pools", "pool"); err != nil {
			return nil, err
		}
		return troupe.Handler(name, func(ex *actors.Exchange) error { return nil }), nil
	}})
	return reg
}

const reloadBase = `
pools:
  db: {size: 4}
stages:
  tagged: {kind: tag, options: {value: a}}
  limit: {kind: rate_limit, options: {rate: 0.001, burst: 2}}
routes:
  - {method: GET, path: /a, handler: ok, stages: [tagged, limit]}
  - {method: GET, path: /p, handler: pooled, options: {pool: db}}
`

// ParseNext carries over exactly what did not change: a stage, handler or
// resource whose YAML (formatting aside) and used resources are the same
// is the previous value; one that changed, or whose resource changed, is
// new.
func TestParseNextCarriesOverWhatDidNotChange(t *testing.T) {
	reg := reloadRegistry()
	prev, err := config.Parse("c.yaml", []byte(reloadBase), reg)
	if err != nil {
		t.Fatal(err)
	}
	// Reformatted, a comment, a route added: nothing of the old changed.
	next, err := config.ParseNext("c.yaml", []byte(`
pools:
  db:
    size: 4   # the same
stages:
  tagged: {kind: tag, options: {value: a}}
  limit: {kind: rate_limit, options: {rate: 0.001, burst: 2}}
routes:
  - {method: GET, path: /a, handler: ok, stages: [tagged, limit]}
  - {method: GET, path: /p, handler: pooled, options: {pool: db}}
  - {method: GET, path: /new, handler: ok}
`), reg, prev)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tagged", "limit"} {
		if next.Stages[name] != prev.Stages[name] {
			t.Errorf("stage %s was rebuilt though it did not change", name)
		}
	}
	if next.Routes[0].Handler != prev.Routes[0].Handler || next.Routes[1].Handler != prev.Routes[1].Handler {
		t.Error("a handler was rebuilt though it did not change")
	}
	if a, _ := next.Shared("pools", "db"); a != mustShared(t, prev, "db") {
		t.Error("the pool was rebuilt though it did not change")
	}

	// The rate limit's options and the pool's size change: both are new,
	// and so is the handler that uses the pool; the tag stays.
	third, err := config.ParseNext("c.yaml", []byte(strings.NewReplacer("burst: 2", "burst: 3", "size: 4", "size: 8").Replace(reloadBase)), reg, next)
	if err != nil {
		t.Fatal(err)
	}
	if third.Stages["tagged"] != prev.Stages["tagged"] {
		t.Error("stage tagged was rebuilt though it did not change")
	}
	if third.Stages["limit"] == prev.Stages["limit"] {
		t.Error("stage limit was carried over though its options changed")
	}
	if p, _ := third.Shared("pools", "db"); p == mustShared(t, prev, "db") || p.(*sizedPool).size != 8 {
		t.Error("the pool was carried over though its size changed")
	}
	if third.Routes[1].Handler == prev.Routes[1].Handler {
		t.Error("the handler was carried over though the pool it uses changed")
	}
}

func mustShared(t *testing.T, c *config.Config, name string) any {
	t.Helper()
	v, ok := c.Shared("pools", name)
	if !ok {
		t.Fatalf("no pool %s", name)
	}
	return v
}

// Apply on a running app: a rate limit whose bucket was drained stays
// drained across a reload that changes other things, and only a change of
// its own options gives it a fresh bucket; a removed route is gone, an
// added one serves; a changed shared resource is started, and the old one
// stopped.
func TestApplyKeepsRateLimitState(t *testing.T) {
	reg := reloadRegistry()
	cfg, err := config.Parse("c.yaml", []byte(reloadBase), reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.App.HTTP.Addr, cfg.App.Admin.Addr = "127.0.0.1:0", "off"
	app := cfg.Build(troupe.WithLogger(zap.NewNop()))
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = app.Shutdown(ctx)
	})
	get := func(path string) int {
		t.Helper()
		res, err := client.Get("http://" + app.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for i, want := range []int{200, 200, 429} { // a bucket of 2, refilled one every 1000 s
		if got := get("/a"); got != want {
			t.Fatalf("request %d: %d, want %d", i+1, got, want)
		}
	}
	oldPool := mustShared(t, cfg, "db").(*sizedPool)

	reload := func(yaml string) *troupe.Changes {
		t.Helper()
		next, err := config.ParseNext("c.yaml", []byte(yaml), reg, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ch, err := next.Apply(app)
		if err != nil {
			t.Fatal(err)
		}
		cfg = next
		return ch
	}
	ch := reload(strings.Replace(reloadBase, "  - {method: GET, path: /p, handler: pooled, options: {pool: db}}\n",
		"  - {method: GET, path: /b, handler: ok}\n", 1))
	if !slices.Equal(ch.RoutesAdded, []string{"GET /b"}) || !slices.Equal(ch.RoutesRemoved, []string{"GET /p"}) || !slices.Contains(ch.StagesKept, "limit") {
		t.Errorf("changes = %+v", ch)
	}
	if got := get("/a"); got != 429 {
		t.Errorf("after an unrelated reload: %d, want 429 (the drained bucket survives)", got)
	}
	if got, got2 := get("/b"), get("/p"); got != 200 || got2 != 404 {
		t.Errorf("added /b: %d, removed /p: %d; want 200 and 404", got, got2)
	}

	ch = reload(strings.NewReplacer("burst: 2", "burst: 3", "size: 4", "size: 8").Replace(reloadBase))
	if !slices.Contains(ch.StagesReplaced, "limit") || ch.ComponentsStarted != 1 || ch.ComponentsStopped != 1 {
		t.Errorf("changes = %+v, want limit replaced, one component started and one stopped", ch)
	}
	if got := get("/a"); got != 200 {
		t.Errorf("after the rate limit's options changed: %d, want 200 (a fresh bucket)", got)
	}
	newPool := mustShared(t, cfg, "db").(*sizedPool)
	if n := newPool.starts.Load(); n != 1 {
		t.Errorf("the new pool started %d times, want 1", n)
	}
	// The old pool stops once its generation has drained: the requests
	// above are answered, so that is at once, but on another goroutine.
	select {
	case <-oldPool.stopped:
	case <-time.After(10 * time.Second): // at once, but for a loaded machine
		t.Fatal("the old pool was not stopped once its generation had drained")
	}
	if n := oldPool.stops.Load(); n != 1 {
		t.Errorf("the old pool stopped %d times, want 1", n)
	}
}

// A refused configuration changes nothing; NeedsRestart names the
// server-level settings a reload does not apply.
func TestNeedsRestart(t *testing.T) {
	reg := reloadRegistry()
	prev, err := config.Parse("c.yaml", []byte(reloadBase), reg)
	if err != nil {
		t.Fatal(err)
	}
	next, err := config.ParseNext("c.yaml", []byte(`
server: {addr: "127.0.0.1:1234", max_in_flight: 10, overload: {adaptive: false}}
log: {level: debug}
supervision: {max_restarts: 3}
`+reloadBase), reg, prev)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"server.addr", "server.max_in_flight", "server.overload.adaptive", "log.level", "supervision"}
	got := next.NeedsRestart(prev)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("NeedsRestart = %q, want it to include %q", got, w)
		}
	}
	if same := prev.NeedsRestart(prev); len(same) != 0 {
		t.Errorf("NeedsRestart of a config against itself = %q", same)
	}
}
