// Command batching serves a simulated model through a batcher: each
// POST /score carries one item, the batcher gathers the items waiting into
// one model call, and every caller gets its own score back. A model call
// costs the same whatever its size (-cost, 10ms by default), so under load
// one call serves many requests. GET /stats says how many calls served how
// many items. Run it with `go run ./examples/batching` and try
//
//	curl -i localhost:8080/score -d '{"id":"a1","features":[0.5,1.5]}'
//	curl -sZ 'localhost:8080/score?n=[1-32]' -d '{"id":"x","features":[1,2]}'   # 32 at once
//	curl localhost:8080/stats   # fewer calls than items: the batcher at work
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
)

// features is one item to score, as a client posts it.
type features struct {
	ID       string    `json:"id"`
	Features []float64 `json:"features"`
}

// score is the answer to one item.
type score struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
}

// model is the simulated model: a call takes cost, however many items it
// holds, and scores each item with the sum of the squares of its features.
type model struct {
	cost         time.Duration
	calls, items atomic.Int64
}

// score is the batcher's BatchFunc: one model call for the whole batch,
// one result per item, in order.
func (m *model) score(ctx context.Context, batch []batching.Item[features]) ([]batching.Result[score], error) {
	m.calls.Add(1)
	m.items.Add(int64(len(batch)))
	select {
	case <-time.After(m.cost):
	case <-ctx.Done(): // every caller in the batch has gone
		return nil, ctx.Err()
	}
	out := make([]batching.Result[score], len(batch))
	for i, it := range batch {
		if len(it.Value.Features) == 0 { // fails this item alone
			out[i].Err = actors.NewError(http.StatusUnprocessableEntity, "features must hold at least one number")
			continue
		}
		s := 0.0
		for _, x := range it.Value.Features {
			s += x * x
		}
		out[i].Value = score{ID: it.Value.ID, Score: s}
	}
	return out, nil
}

func main() {
	cost := flag.Duration("cost", 10*time.Millisecond, "how long one model call takes")
	var cfg troupe.Config
	flag.StringVar(&cfg.HTTP.Addr, "addr", ":8080", "where the server listens")
	flag.StringVar(&cfg.Admin.Addr, "admin-addr", "127.0.0.1:9090", `where the admin endpoints listen ("off": none)`)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	app, err := newApp(cfg, *cost)
	if err == nil {
		err = app.Run(ctx)
	}
	if err != nil {
		log.Fatal(err)
	}
}

func newApp(cfg troupe.Config, cost time.Duration) (*troupe.App, error) {
	m := &model{cost: cost}
	// Up to 2 model calls at once, of at most 32 items each.
	b, err := batching.New(batching.Config{Name: "score", MaxBatchSize: 32, MaxInFlight: 2}, m.score)
	if err != nil {
		return nil, err
	}
	app := troupe.New(cfg)
	app.Add(b) // the app starts the batcher, and stops it once every request is answered
	app.Handle("POST", "/score", batching.Handler("score", b, batching.HandlerConfig[features, score]{}))
	app.GET("/stats", func(ex *actors.Exchange) error {
		return ex.JSON(http.StatusOK, map[string]int64{"calls": m.calls.Load(), "items": m.items.Load()})
	})
	return app, nil
}
