package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/cluster/breakerlease"
	"github.com/troupe-go/troupe/cluster/clusterpb"
	"github.com/troupe-go/troupe/cluster/lease"
	"go.uber.org/zap"
)

// Node is this server's membership of a cluster. It is a
// troupe.Component (Start joins, Stop leaves) and a prometheus.Collector.
// It is safe for concurrent use.
type Node struct {
	cfg Config
	log *zap.Logger
	m   *metrics

	running atomic.Pointer[cluster.Cluster] // set while a member
	members atomic.Int64
	inTopo  atomic.Bool
	lostAt  atomic.Int64                   // when a call to a grain last failed (UnixNano); 0: never, or since succeeded
	health  atomic.Pointer[providerHealth] // set by Start; read by /metrics and /readyz at any time

	mu      sync.Mutex
	pools   []*lease.Pool
	batches *batchHost // batchers of scope cluster (batchhost.go)
	started bool
	stopped bool
	offline bool
	sys     *actor.ActorSystem
	sub     *eventSubscription

	breakers []*breakerlease.Member // guarded by mu; closed by Stop
}

// New returns a member of the cluster cfg describes, not yet started, or
// the problems with cfg (each a *FieldError, joined). Cluster logs go to
// log at Warn and above, at most 10 lines a second.
func New(cfg Config, log *zap.Logger) (*Node, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Node{cfg: cfg, log: log, m: newMetrics(), batches: newBatchHost(log)}, nil
}

// Config returns the node's configuration, defaults filled in.
func (n *Node) Config() Config {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cfg
}

var (
	_ troupe.Degrader      = (*Node)(nil)
	_ prometheus.Collector = (*Node)(nil)
)

// errNotRunning is the error of a call to a grain while the node is not a
// member (before Start, after Stop).
var errNotRunning = errors.New("cluster: this member is not running")

// Start joins the cluster: it starts the member's own actor system,
// listens for the other members on Host:Port, and registers with the
// provider. Proto.Actor's start takes about a second. The app's actor
// system is not used: the cluster's is its own, so that nothing of the
// cluster runs without a Node.
func (n *Node) Start(*actors.System) (err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started {
		return errors.New("cluster: node started twice")
	}
	n.started = true
	if n.offline {
		return nil
	}
	provider, err := newProvider(n.cfg)
	if err != nil {
		return err
	}
	if h, ok := provider.(healthChecker); ok {
		n.health.Store(&providerHealth{check: h})
	}
	n.sys = actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return newSlog(n.log) }),
		actor.WithDeadLetterRequestLogging(false),
	)
	props := actor.PropsFromProducer(func() actor.Actor {
		return &bucketGrain{now: n.cfg.Now, idle: n.cfg.GrainIdle, m: n.m}
	})
	cfg := cluster.Configure(n.cfg.Name, provider, disthash.New(),
		remote.Configure(n.cfg.Host, n.cfg.Port),
		cluster.WithKinds(cluster.NewKind(bucketKind, props), n.batchKind()),
		cluster.WithKinds(n.breakerGrainKind()),
		cluster.WithRequestTimeout(n.cfg.RequestTimeout),
	)
	c := cluster.New(n.sys, cfg)
	n.sub = subscribe(n.sys, n.onTopology)
	// Proto.Actor panics when it cannot listen or register.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cluster: joining %q at %s:%d: %v", n.cfg.Name, n.cfg.Host, n.cfg.Port, r)
			n.sub.stop()
			n.sys.Shutdown()
		}
	}()
	c.StartMember()
	n.running.Store(c)
	n.log.Info("cluster member started", zap.String("cluster", n.cfg.Name), zap.String("address", n.sys.Address()),
		zap.String("provider", n.cfg.Provider))
	return nil
}

// Stop leaves the cluster gracefully (its grains re-activate on the other
// members as they are next called), closes the lease pools and the
// member's actor system. An automanaged member first leaves the others'
// topology while its grains still answer (leaveFirst: 4 s and
// RequestTimeout, cut short by ctx); its batcher grains take no more items
// as it begins, and send what they hold at once, and Stop waits for their
// batches. Proto.Actor's graceful leave then takes 2–4 s and cannot be cut
// short. Calling it twice is safe.
func (n *Node) Stop(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped {
		return nil
	}
	n.stopped = true
	for _, p := range n.pools {
		p.Close()
	}
	for _, b := range n.breakers {
		b.Close()
	}
	if h := n.health.Load(); h != nil {
		h.close()
	}
	c := n.running.Swap(nil)
	n.batches.leave()
	defer n.batches.close()
	if c == nil {
		return nil
	}
	leaveFirst(ctx, c.Config.ClusterProvider, leaveGrace(n.cfg.RequestTimeout))
	n.sub.stop()
	c.Shutdown(true)
	n.log.Info("cluster member stopped", zap.String("cluster", n.cfg.Name))
	return nil
}

// Pool returns a new pool of leases of cluster-wide buckets, with cfg's
// Name, Policy and OnLoss: the node fills in the transport (calls to
// bucket grains), the member count, the lease TTL, the timeout, the clock
// and the metrics. The node closes it on Stop.
func (n *Node) Pool(cfg lease.Config) (*lease.Pool, error) {
	cfg.Transport = transport{n}
	cfg.Members = n.Members
	cfg.TTL = n.cfg.LeaseTTL
	cfg.Timeout = n.cfg.RequestTimeout
	cfg.Now = n.cfg.Now
	cfg.Observer = observer{n}
	p, err := lease.New(cfg)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped {
		p.Close()
	} else {
		n.pools = append(n.pools, p)
	}
	return p, nil
}

// Members returns how many members this one sees, itself included: at
// least 1.
func (n *Node) Members() int { return int(max(n.members.Load(), 1)) }

// Up reports whether this member is in the cluster: started, in the
// topology it last heard of, its provider healthy, and its last call to a
// grain answered (or none failed within the last lease TTL).
func (n *Node) Up() bool { return n.down() == "" }

// down says why this member is not up, or "" if it is.
func (n *Node) down() string {
	switch {
	case n.running.Load() == nil:
		return "not a member (not started, or stopped)"
	case !n.inTopo.Load():
		return "not in the cluster's topology yet"
	}
	if h := n.health.Load(); h != nil {
		if err := h.status(); err != nil {
			return "provider: " + err.Error()
		}
	}
	if at := n.lostAt.Load(); at != 0 && time.Since(time.Unix(0, at)) < max(n.cfg.LeaseTTL, time.Second) {
		return "a grain's member did not answer"
	}
	return ""
}

// Degraded returns why this member runs on its own state, or, for the
// automanaged provider, that it sees fewer members than its seeds name,
// for /readyz: nothing while all is well. It does not make the server
// unready: requests are still served, each cluster-scoped limit doing
// what its on_cluster_loss says.
func (n *Node) Degraded() []string {
	if why := n.down(); why != "" {
		return []string{fmt.Sprintf("cluster %q: %s; cluster-scoped limits run on this member's own state", n.cfg.Name, why)}
	}
	if seeds := len(n.cfg.Seeds); n.cfg.Provider == Automanaged && n.Members() < seeds {
		return []string{fmt.Sprintf("cluster %q: %d of %d members seen; cluster-wide limits are shared by those", n.cfg.Name, n.Members(), seeds)}
	}
	return nil
}

// Describe sends the node's metric descriptions.
func (n *Node) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range n.m.collectors() {
		c.Describe(ch)
	}
}

// Collect sends the node's metrics.
func (n *Node) Collect(ch chan<- prometheus.Metric) {
	n.m.members.Set(float64(n.members.Load()))
	up := 0.0
	if n.Up() {
		up = 1
	}
	n.m.up.Set(up)
	for _, c := range n.m.collectors() {
		c.Collect(ch)
	}
}

// onTopology records a new topology of the cluster.
func (n *Node) onTopology(t *cluster.ClusterTopology) {
	// Providers name members differently (etcd as cluster@id), so this
	// member is found by its address.
	in := false
	self := n.sys.Address()
	for _, m := range t.Members {
		if m.Address() == self {
			in = true
		}
	}
	n.members.Store(int64(len(t.Members)))
	n.inTopo.Store(in)
}

// transport calls bucket grains for a lease pool.
type transport struct{ n *Node }

// Lease asks the grain id for tokens, bounded by ctx's deadline.
func (t transport) Lease(ctx context.Context, id string, p lease.Policy, want, returned int64) (int64, time.Duration, error) {
	c := t.n.running.Load()
	if c == nil {
		return 0, 0, errNotRunning
	}
	timeout := t.n.cfg.RequestTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if timeout <= 0 {
		return 0, 0, context.DeadlineExceeded
	}
	start := time.Now()
	res, err := c.Request(id, bucketKind,
		&clusterpb.LeaseRequest{IntervalNs: int64(p.Interval), Burst: p.Burst, Want: want, Returned: returned},
		cluster.WithTimeout(timeout), cluster.WithRetryCount(3), cluster.WithRetryAction(retryPause))
	reply, ok := res.(*clusterpb.LeaseReply)
	if err == nil && !ok {
		err = fmt.Errorf("cluster: grain %s answered %T", id, res)
	}
	result := "ok"
	if err != nil {
		result = "error"
		t.n.lostAt.Store(time.Now().UnixNano())
	} else {
		t.n.lostAt.Store(0)
	}
	t.n.m.calls.WithLabelValues(result).Observe(time.Since(start).Seconds())
	if err != nil {
		return 0, 0, err
	}
	return reply.Granted, time.Duration(reply.RetryAfterNs), nil
}

// retryPause waits before the next try of a grain call whose member did
// not answer or had no activation: 10ms, 20ms, … (Proto.Actor's default
// waits nanoseconds).
func retryPause(i int) int {
	i++
	time.Sleep(time.Duration(i) * 10 * time.Millisecond)
	return i
}

// observer counts lease calls on the node's metrics.
type observer struct{ n *Node }

// Leased counts one lease call.
func (o observer) Leased(name string, _ time.Duration, want, granted int64, err error) {
	o.n.m.leased(name, want, granted, err)
}

// SetPorts replaces the member's port and health port (a zero leaves one
// as it is), before Start: for a command line that runs several members
// from one configuration file. It returns the problems with the result,
// and then changes nothing.
func (n *Node) SetPorts(port, healthPort int) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started {
		return errors.New("cluster: SetPorts after Start")
	}
	c := n.cfg
	if port != 0 {
		c.Port = port
	}
	if healthPort != 0 {
		c.HealthPort = healthPort
	}
	if err := c.validate(); err != nil {
		return err
	}
	n.cfg = c
	return nil
}

// Offline makes Start join nothing: the node takes no part in the
// cluster, and its limits decide as if the cluster were lost. It is for
// `server -check`, which starts the app without serving. Call it before
// Start.
func (n *Node) Offline() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.offline = true
}
