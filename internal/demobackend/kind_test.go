package demobackend_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/internal/demobackend"
	"go.uber.org/zap"
)

// parse parses a config whose one route POST /demo/score is a demo_score
// handler with the given options.
func parse(options string) (*config.Config, error) {
	reg := &config.Registry{}
	demobackend.Register(reg)
	src := "routes:\n  - method: POST\n    path: /demo/score\n    handler: demo_score\n    options: " + options + "\n"
	return config.Parse("demo.yaml", []byte(src), reg)
}

// serve builds and starts cfg's app on loopback, and shuts it down when
// the test ends.
func serve(t *testing.T, cfg *config.Config) (url, admin string) {
	t.Helper()
	cfg.App.HTTP.Addr, cfg.App.Admin.Addr = "127.0.0.1:0", "127.0.0.1:0"
	app := cfg.Build(troupe.WithLogger(zap.NewNop()))
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return "http://" + app.Addr().String(), "http://" + app.AdminAddr().String()
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(b))
}

// The configured route scores items, in batches, each client its own
// answer; the batcher's metrics are on /metrics under the route's name.
func TestDemoScoreRoute(t *testing.T) {
	cfg, err := parse("{backend: {call_cost: 2ms, item_cost: 10us, concurrency: 2}, batch: {max_batch_size: 8}}")
	if err != nil {
		t.Fatal(err)
	}
	url, admin := serve(t, cfg)
	if status, body := post(t, url+"/demo/score", `{"id":"a1","features":[0.5,1.5]}`); status != 200 || body != `{"id":"a1","score":2.5}` {
		t.Errorf("POST /demo/score = %d %s, want 200 {\"id\":\"a1\",\"score\":2.5}", status, body)
	}
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			want := fmt.Sprintf(`{"id":"i%d","score":%d}`, i, i*i)
			if status, body := post(t, url+"/demo/score", fmt.Sprintf(`{"id":"i%d","features":[%d]}`, i, i)); status != 200 || body != want {
				t.Errorf("item %d: %d %s, want 200 %s", i, status, body, want)
			}
		})
	}
	wg.Wait()
	for _, tt := range []struct {
		give string
		want int
	}{{`{"id":"a1"}`, 422}, {`{"id":`, 400}} {
		if status, _ := post(t, url+"/demo/score", tt.give); status != tt.want {
			t.Errorf("POST %s = %d, want %d", tt.give, status, tt.want)
		}
	}
	res, err := http.Get(admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), `troupe_batch_size_count{batcher="POST /demo/score"}`) {
		t.Error("/metrics lacks troupe_batch_size for the route's batcher")
	}
}

// Bad options are reported with the file and line.
func TestDemoScoreBadOptions(t *testing.T) {
	tests := []struct {
		name, give, want string
	}{
		{name: "unknown", give: "{batch: {max_batch: 3}}", want: `demo.yaml:5: unknown option "max_batch"`},
		{name: "negative cost", give: "{backend: {call_cost: -1ms}}", want: "demo.yaml:5: demo_score: demobackend: call_cost"},
		{name: "preferred above max", give: "{batch: {max_batch_size: 4, preferred_batch_sizes: [8]}}", want: "preferred batch size 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parse(tt.give); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%s) = %v, want an error containing %q", tt.give, err, tt.want)
			}
		})
	}
}
