package cluster_test

import (
	"log"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/cluster"
	"github.com/troupe-go/troupe/stages/ratelimit"
	"go.uber.org/zap"
)

// A server that is one of three members, with a limit of 100 requests a
// second per client address for the three together. (No output: it would
// join a cluster.)
func ExampleNew() {
	logger := zap.NewExample()
	node, err := cluster.New(cluster.Config{
		Name:       "shop",
		Host:       "127.0.0.1",
		Port:       7101,
		Provider:   cluster.Automanaged,
		HealthPort: 7201,
		Seeds:      []string{"127.0.0.1:7201", "127.0.0.1:7202", "127.0.0.1:7203"},
	}, logger)
	if err != nil {
		log.Fatal(err)
	}
	limit, err := ratelimit.New("per-client", ratelimit.Config{
		Rate: 100, Scope: ratelimit.ScopeCluster, OnClusterLoss: ratelimit.LossOpen, Cluster: node,
	})
	if err != nil {
		log.Fatal(err)
	}
	app := troupe.New(troupe.Config{}, troupe.WithLogger(logger))
	app.Add(node) // joins before serving, leaves after the last request
	app.Use(limit)
	_ = app // app.Run(ctx) serves
}
