package upstream

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/cluster/breakerlease"
	"github.com/troupe-go/troupe/internal/httpstatus"
	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/supervisor"
	"go.uber.org/zap"
)

// Upstream is a set of servers that requests are forwarded to, and the
// machinery that makes calls to them fail well: a bulkhead, a circuit
// breaker, retries within a budget, deadlines, and the health of each
// target. Its breaker, budget and target state are owned by one actor in
// the app's actor system (see the package documentation for why and what
// it costs).
//
// An Upstream is a troupe.Component: add it to the app (config kinds do it
// with config.Options.Add), which starts it before it serves and stops it
// after it has drained, and exports its metrics. Do is safe for concurrent
// use once it is started.
type Upstream struct {
	cfg       Config // with defaults
	name      string
	log       *zap.Logger
	targets   []*url.URL
	transport http.RoundTripper
	dial      func(ctx context.Context, network, addr string) (net.Conn, error) // WithDialContext's, or nil
	cls       classifier
	bulkhead  *bulkhead
	m         *metrics
	keeper    *keeper // the actor's once started
	pools     *pools
	health    *supervisor.Health // from Supervise, or nil
	jitter    func() float64
	clusterOf Cluster              // WithCluster's, or nil
	cluster   *breakerlease.Member // the lease of the cluster-wide breaker, with scope cluster; else nil

	root     *actor.RootContext
	pid      atomic.Pointer[actor.PID] // set by Start
	stopped  chan struct{}             // closed by Stop
	stopOnce sync.Once
	checks   sync.WaitGroup // the active health checker
}

var (
	_ troupe.Component     = (*Upstream)(nil)
	_ prometheus.Collector = (*Upstream)(nil)
)

// Option configures an Upstream beyond its Config: what it is given rather
// than told.
type Option interface{ apply(*Upstream) }

type optionFunc func(*Upstream)

func (f optionFunc) apply(u *Upstream) { f(u) }

// WithLogger sets the logger for state changes and ejections. Defaults to
// a no-op logger.
func WithLogger(log *zap.Logger) Option { return optionFunc(func(u *Upstream) { u.log = log }) }

// WithTransport replaces the transport built from Config.Transport and
// ConnectTimeout, for tests and in-process upstreams.
func WithTransport(rt http.RoundTripper) Option {
	return optionFunc(func(u *Upstream) { u.transport = rt })
}

// WithDialContext makes the built transport dial with dial (within
// ConnectTimeout) instead of a net.Dialer: to reach a server whose address
// is only known once it listens, whatever the target's host says.
func WithDialContext(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return optionFunc(func(u *Upstream) { u.dial = dial })
}

// New returns an upstream configured by cfg, not yet started. It reports
// every problem of cfg at once.
func New(cfg Config, opts ...Option) (*Upstream, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("upstream %q: %w", cfg.Name, err)
	}
	u := &Upstream{cfg: cfg, name: cfg.Name, log: zap.NewNop(), stopped: make(chan struct{}), jitter: rand.Float64, pools: newPools()}
	for _, o := range opts {
		o.apply(u)
	}
	for _, t := range cfg.Targets {
		tu, _ := parseTarget(t) // validated
		u.targets = append(u.targets, tu)
	}
	fail, _ := httpstatus.Parse(cfg.Breaker.FailureStatuses) // validated
	retry, _ := httpstatus.Parse(cfg.Retry.Statuses)
	u.cls = classifier{failStatus: fail, retryStatus: retry, slow: cfg.Breaker.SlowCallDuration,
		ignoreConn: cfg.Breaker.IgnoreConnectionErrors, ignoreTime: cfg.Breaker.IgnoreTimeouts}
	if u.transport == nil {
		t := newTransport(cfg, u.dial)
		if err := trustCAFile(t, cfg.Transport.CAFile); err != nil {
			return nil, fmt.Errorf("upstream %q: %w", cfg.Name, err)
		}
		u.transport = t
	}
	if err := u.joinCluster(); err != nil {
		return nil, fmt.Errorf("upstream %q: %w", cfg.Name, err)
	}
	u.bulkhead = newBulkhead(cfg.Bulkhead)
	u.m = newMetrics(cfg.Name, u.bulkhead.limit)
	u.keeper = newKeeper(cfg, u.m, u.log)
	return u, nil
}

// Name returns the upstream's name.
func (u *Upstream) Name() string { return u.name }

// Supervise puts the upstream under h, the health the app's supervision
// tree keeps for it: a panic of its keeper actor (a bug; the call is
// refused, the keeper goes on) counts as a restart, and a crash loop marks
// it down, on /metrics and /readyz, and refuses calls at once (503 with
// Retry-After) until the back-off ends. The app calls it before Start
// (troupe.Supervised).
func (u *Upstream) Supervise(h *supervisor.Health) { u.health = h }

// Config returns the upstream's configuration, defaults applied.
func (u *Upstream) Config() Config { return u.cfg }

// Start spawns the upstream's actor in sys and, with Health.Path set,
// starts its health checks. It implements troupe.Component.
func (u *Upstream) Start(sys *actors.System) error {
	select {
	case <-u.stopped:
		return fmt.Errorf("upstream %s: stopped, it cannot start again", u.name)
	default:
	}
	if u.pid.Load() != nil {
		return fmt.Errorf("upstream %s: already started (is it in two apps?)", u.name)
	}
	u.root = pipeline.Root(sys)
	u.pid.Store(spawn(u.root, u.keeper, u.pools, u.log, u.health))
	if u.cfg.Health.Path != "" {
		u.checks.Go(u.checkLoop)
	}
	return nil
}

// Stop stops the health checks and the actor and closes idle connections.
// Calls still in progress end with ErrStopped when they next ask the
// actor. Safe to call twice. It implements troupe.Component.
func (u *Upstream) Stop(context.Context) error {
	u.stopOnce.Do(func() {
		close(u.stopped)
		u.checks.Wait()
		if u.cluster != nil {
			u.cluster.Close() // its cluster's node would close it too, on leaving
		}
		if pid := u.pid.Load(); pid != nil {
			u.root.Stop(pid)
		}
		if t, ok := u.transport.(interface{ CloseIdleConnections() }); ok {
			t.CloseIdleConnections()
		}
	})
	return nil
}

// Describe implements prometheus.Collector.
func (u *Upstream) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range u.m.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector. It asks the actor for a status
// first, which brings the breaker's state and the targets' health up to
// date with the time.
func (u *Upstream) Collect(ch chan<- prometheus.Metric) {
	u.Status()
	for _, c := range u.m.collectors() {
		c.Collect(ch)
	}
}

// Status returns a snapshot of the upstream's breaker and targets, as its
// actor sees them. Not running, it reports the state it was left in as
// closed and nothing else.
func (u *Upstream) Status() Status {
	pid := u.running()
	if pid == nil {
		return Status{Name: u.name, StateName: Closed.String()}
	}
	m := &statusMsg{reply: make(chan Status, 1)}
	u.root.Send(pid, m)
	select {
	case s := <-m.reply:
		u.clusterStatus(&s)
		return s
	case <-u.stopped:
		return Status{Name: u.name, StateName: Closed.String()}
	}
}

// running returns the actor's PID, or nil before Start and after Stop
// (messages to a stopped actor would go to dead letters, which Proto.Actor
// logs and throttles with a goroutine of its own).
func (u *Upstream) running() *actor.PID {
	select {
	case <-u.stopped:
		return nil
	default:
		return u.pid.Load()
	}
}

// admit asks the cluster-wide breaker, with scope cluster, then the
// actor for an attempt.
func (u *Upstream) admit(ctx context.Context, pid *actor.PID, first bool) (admission, error) {
	ct, refusal := u.clusterAdmit(ctx)
	if refusal != nil {
		if ctx.Err() != nil { // it ended while waiting for the cluster's breaker
			return admission{}, u.ended(ctx)
		}
		return *refusal, nil
	}
	m := u.pools.admits.Get().(*admitMsg)
	m.first, m.clustered = first, ct.ok
	u.root.Send(pid, m)
	select {
	case a := <-m.reply:
		u.pools.admits.Put(m)
		a.ticket.cluster = ct
		return a, nil
	case <-u.stopped: // m may still be answered: leave it to the collector
		u.clusterDone(ct, neutral)
		return admission{}, u.failure(ErrStopped, nil, time.Second)
	}
}

// report tells the actor how an attempt went and, with wantRetry, asks
// whether the retry may go.
func (u *Upstream) report(pid *actor.PID, t ticket, r result, o outcome, wantRetry bool) bool {
	if t.cluster.ok {
		u.clusterDone(t.cluster, o)
		if wantRetry && !t.cluster.closed {
			u.m.breaker.Inc()
			wantRetry = false
		}
	}
	m := u.pools.reports.Get().(*reportMsg)
	m.ticket, m.result, m.outcome, m.wantRetry = t, r, o, wantRetry
	u.root.Send(pid, m) // without wantRetry, the actor recycles m
	if !wantRetry {
		return false
	}
	select {
	case ok := <-m.reply:
		*m = reportMsg{reply: m.reply}
		u.pools.reports.Put(m)
		return ok
	case <-u.stopped:
		return false
	}
}

// timeLeft reports whether ctx's deadline leaves room for an attempt after
// wait.
func (u *Upstream) timeLeft(ctx context.Context, wait time.Duration) bool {
	d, ok := ctx.Deadline()
	return !ok || time.Until(d) >= wait+u.cfg.Retry.MinTimeLeft
}

// sleep waits d, or until ctx ends; it reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
