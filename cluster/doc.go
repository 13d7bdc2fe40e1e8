// Package cluster makes troupe servers members of one Proto.Actor cluster,
// so that limits hold across them: a rate limit of scope cluster is one
// token bucket per key for the whole cluster, kept by a grain (a virtual
// actor that lives on exactly one member at a time) and spent by every
// member through leases (package lease), with no call across the network
// for most requests. An upstream's circuit breaker of scope cluster is
// likewise one breaker for the whole cluster, kept by a grain that trips
// on every member's counts, each member admitting on a lease of its state
// (package breakerlease, Node.Breaker).
// A batcher of scope cluster (package batching) gathers the items of
// every member in one grain per batch key, which runs the batches on its
// member and sends each member its items' answers.
//
// A Node is one member. It is a troupe.Component: the app starts it before
// serving and stops it after the last request. Without a Node (no cluster
// section in the configuration) no cluster code runs.
//
//	node, err := cluster.New(cluster.Config{
//		Name: "shop", Host: "127.0.0.1", Port: 7101,
//		Provider: cluster.Automanaged, HealthPort: 7201,
//		Seeds:    []string{"127.0.0.1:7201", "127.0.0.1:7202", "127.0.0.1:7203"},
//	}, log)
//	…
//	app.Add(node)
//	rl, err := ratelimit.New("per-client", ratelimit.Config{Rate: 100, Scope: ratelimit.ScopeCluster, Cluster: node})
//	b, err := batching.New(batching.Config{Name: "score", Scope: batching.ScopeCluster, Cluster: node}, score)
//
// Members find each other through a provider: automanaged (each member
// polls the others' health port; no extra service), etcd, or, in one
// process, InMem (for tests). Grains are placed by consistent hashing of
// their identity over the members (Proto.Actor's disthash identity lookup).
// Only protobuf messages cross members (package clusterpb).
//
// A member that loses the others keeps serving: each rate limit,
// breaker and batcher then does what its on_cluster_loss says
// (limit, use its own breaker or batch on this member alone, or refuse),
// and /readyz and /metrics say so (troupe_cluster_up 0).
package cluster
