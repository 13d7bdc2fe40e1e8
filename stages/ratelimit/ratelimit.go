// Package ratelimit is the stage that limits how often each client may
// call: a token bucket per key (client address, authenticated subject, or a
// header), refilled at a steady rate and holding at most a burst. A request
// that finds its bucket empty gets 429 with Retry-After; every response
// says where the client stands in RateLimit-Limit, RateLimit-Remaining and
// RateLimit-Reset.
//
//	rl, err := ratelimit.New("rate-limit", ratelimit.Config{Rate: 10, Burst: 20, Key: "subject"})
//	if err != nil { … }
//	app.Group("/api", apiKey, rl) // after the auth stage, so it can key on the subject
//
// The stage is Stateful: its buckets are owned by actors partitioned by
// key, so one key's bucket always lives in one actor, which reads and
// changes it without a lock. Memory follows the keys in use: each request
// also looks at a few buckets and forgets those that are full again (or
// idle for Config.IdleTTL), and Config.MaxKeys caps the total. An actor
// that restarts starts with empty buckets.
//
// Buckets are found by a keyed 64-bit hash of the key, so a key costs the
// same whatever its length; two keys whose hashes collide (odds about
// n²/2⁶⁵ among n keys) would share a bucket.
//
// Keys come from the clientip and principal stages. Put clientip (Global)
// in front if clients come through proxies. For Key "subject", the
// authentication stage must run first: both are of priority Auth, and
// within a priority stages run in declaration order — global, then groups
// from the outermost, then the route's own — so declare the rate limit
// where the authentication stage is or further in (or give it priority
// preprocessing in the configuration). Run before authentication, it keys
// every request on the client address.
package ratelimit

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"net/http"
	"runtime"
	"time"

	"github.com/troupe-go/troupe/actors"
)

// Config configures a rate-limit stage. Give Rate, or Limit and Period.
type Config struct {
	// Rate is how many requests per second a key may make, sustained: one
	// token comes back every 1/Rate seconds. Fractions are fine (0.5 is
	// one request every two seconds).
	Rate float64 `yaml:"rate"`
	// Limit and Period are the other way to say the rate: Limit requests
	// per Period. Period defaults to one second.
	Limit  int           `yaml:"limit"`
	Period time.Duration `yaml:"period"`
	// Burst is how many requests a key may make at once, the bucket's
	// size. Defaults to Limit when the rate is given as Limit and Period,
	// else to Rate rounded up (at least 1).
	Burst int `yaml:"burst"`
	// Key is what the buckets are keyed on: "ip" (the client address, see
	// the clientip stage; the default), "subject" (the authenticated
	// principal's subject: an API key's name, a JWT's sub; the client
	// address for anonymous requests) or "header:NAME" (the first value of
	// request header NAME; the client address when it is absent).
	Key string `yaml:"key"`
	// Partitions is how many actors own the buckets, each the keys that
	// hash to it. Defaults to 2 × GOMAXPROCS at construction.
	Partitions int `yaml:"partitions"`
	// IdleTTL, if positive, also forgets a bucket that has seen no request
	// for this long even if it is not full again yet, which lets that key
	// burst again sooner than the rate alone would. Zero (the default)
	// forgets a bucket only once it is full again — after the time it
	// takes to refill what was taken, Burst/Rate at most — which loses
	// nothing.
	IdleTTL time.Duration `yaml:"idle_ttl"`
	// MaxKeys caps the buckets held, split evenly over the partitions:
	// past it, making room for a new key forgets a bucket still in use
	// (the one the sweep would look at next), which lets that key burst
	// again. About 50 bytes a key. Defaults to 1,048,576.
	MaxKeys int `yaml:"max_keys"`
	// Scope is "local" (the default: this server's buckets) or "cluster"
	// (one bucket per key for every server of the cluster; see
	// ScopeCluster). A cluster-scoped limit ignores Partitions, IdleTTL
	// and MaxKeys, and is named by its stage name across the cluster:
	// give it the same rate and burst on every member.
	Scope string `yaml:"scope"`
	// OnClusterLoss is what a cluster-scoped limit does while a bucket's
	// grain cannot be reached: "open" (the default: limit on this server
	// alone) or "closed" (503). See LossOpen and LossClosed.
	OnClusterLoss string `yaml:"on_cluster_loss"`
	// Cluster provides the cluster-wide buckets of scope "cluster":
	// package cluster's *Node. Configuration files get the server's own.
	Cluster Cluster `yaml:"-"`
	// Now tells the time. Defaults to time.Now; tests inject a fake clock.
	Now func() time.Time `yaml:"-"`
}

// DefaultMaxKeys is the default of Config.MaxKeys.
const DefaultMaxKeys = 1 << 20

// maxCapacity bounds Burst × the token interval, in nanoseconds, so that
// bucket arithmetic cannot overflow: about 146 years.
const maxCapacity = 1 << 62

// Priority is the priority of a rate-limit stage: actors.Auth, beside the
// authentication stages (see the package doc for its order among them).
const Priority = actors.Auth

// New returns the Spec of a rate-limit stage named name: Stateful, of
// priority Priority, partitioned by key, or an error if cfg is not a valid
// limit.
func New(name string, cfg Config) (*actors.Spec, error) {
	s, partitions, err := newShared(cfg)
	if err != nil {
		return nil, fmt.Errorf("rate limit %q: %w", name, err)
	}
	switch cfg.Scope {
	case "", ScopeLocal:
	case ScopeCluster:
		return newCluster(name, cfg, s)
	default:
		return nil, &optionError{"scope", fmt.Errorf("rate limit %q: scope %q: want local or cluster", name, cfg.Scope)}
	}
	return &actors.Spec{
		Name:       name,
		Kind:       actors.Stateful,
		Priority:   Priority,
		New:        func() actors.Stage { return &limiter{shared: s, table: table{max: s.maxKeys}} },
		Partitions: partitions,
		PartitionKey: func(ex *actors.Exchange) string {
			var buf [64]byte
			return string(s.key.append(buf[:0], ex))
		},
	}, nil
}

// shared is what every actor of one stage shares. It is read-only.
type shared struct {
	policy  policy
	ttl     int64 // IdleTTL in nanoseconds; 0 for none
	maxKeys int   // per partition
	key     source
	seed    maphash.Seed
	now     func() time.Time
	epoch   time.Time
	limit   []string // the RateLimit-Limit value, the same on every response
	detail  string   // of the 429 problem
}

func newShared(cfg Config) (*shared, int, error) {
	var errs []error
	if cfg.Rate < 0 || cfg.Limit < 0 || cfg.Period < 0 || cfg.Burst < 0 || cfg.Partitions < 0 || cfg.IdleTTL < 0 || cfg.MaxKeys < 0 {
		errs = append(errs, errors.New("rate, limit, period, burst, partitions, idle_ttl and max_keys must not be negative"))
	}
	var interval int64
	burst := int64(cfg.Burst)
	switch {
	case cfg.Rate > 0 && (cfg.Limit > 0 || cfg.Period > 0):
		errs = append(errs, errors.New("give rate, or limit and period, not both"))
	case cfg.Rate > 0:
		if cfg.Rate > 1e9 || math.IsInf(cfg.Rate, 0) || math.IsNaN(cfg.Rate) {
			errs = append(errs, fmt.Errorf("rate %v is above one request per nanosecond", cfg.Rate))
			break
		}
		interval = int64(math.Round(1e9 / cfg.Rate))
		if burst == 0 {
			burst = int64(math.Ceil(cfg.Rate))
		}
	case cfg.Limit > 0:
		period := cfg.Period
		if period == 0 {
			period = time.Second
		}
		interval = int64(period) / int64(cfg.Limit)
		if interval < 1 {
			errs = append(errs, fmt.Errorf("limit %d per %s is above one request per nanosecond", cfg.Limit, period))
		}
		if burst == 0 {
			burst = int64(cfg.Limit)
		}
	default:
		errs = append(errs, errors.New("rate (or limit and period) is required"))
	}
	if interval >= 1 && burst >= 1 && burst > maxCapacity/interval {
		errs = append(errs, fmt.Errorf("burst %d at this rate takes over a century to refill", burst))
	}
	key, err := parseSource(cfg.Key)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, 0, errors.Join(errs...)
	}
	partitions := cfg.Partitions
	if partitions == 0 {
		partitions = 2 * runtime.GOMAXPROCS(0)
	}
	maxKeys := cfg.MaxKeys
	if maxKeys == 0 {
		maxKeys = DefaultMaxKeys
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	burst = max(burst, 1)
	s := &shared{
		policy:  newPolicy(interval, burst),
		ttl:     int64(cfg.IdleTTL),
		maxKeys: min(max((maxKeys+partitions-1)/partitions, 1), math.MaxInt32),
		key:     key,
		seed:    maphash.MakeSeed(),
		now:     now,
		epoch:   now(),
		limit:   []string{fmt.Sprint(burst)}[:1:1],
		detail:  fmt.Sprintf("rate limit exceeded: %d requests at once, then one every %s", burst, time.Duration(interval)),
	}
	return s, partitions, nil
}

// limiter is the stage one actor runs: the shared policy and the buckets of
// the keys its partition owns.
type limiter struct {
	*shared
	table table
}

var _ actors.Stage = (*limiter)(nil)

// Process takes a token from the request's bucket and sets the RateLimit
// headers; with the bucket empty, it ends the exchange with 429 and
// Retry-After. CORS preflights pass without taking a token: browsers send
// them on their own.
func (l *limiter) Process(ex *actors.Exchange) error {
	if ex.Preflight() {
		return nil
	}
	now := int64(l.now().Sub(l.epoch))
	l.table.sweep(l.policy, now, l.ttl)
	var buf [64]byte
	b := l.table.bucket(maphash.Bytes(l.seed, l.key.append(buf[:0], ex)), now)
	d := l.policy.take(b, now)
	l.setHeaders(ex.Response.Header(), d)
	if !d.allowed {
		return &actors.Error{Status: http.StatusTooManyRequests, Detail: l.detail, RetryAfter: time.Duration(d.retry)}
	}
	return nil
}
