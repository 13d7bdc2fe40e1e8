package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/cluster/lease"
)

// Scopes of a rate limit (Config.Scope).
const (
	// ScopeLocal keeps the buckets in this server's actors: each server
	// of several admits the whole rate. The default.
	ScopeLocal = "local"
	// ScopeCluster shares each key's bucket across the servers of a
	// cluster (package cluster): together they admit the rate once. Each
	// bucket lives in a grain on one member; every member spends leases
	// of its tokens, so most requests cost no call across the network.
	ScopeCluster = "cluster"
)

// What a cluster-scoped limit does while a bucket's grain cannot be
// reached (Config.OnClusterLoss).
const (
	// LossOpen limits on this server alone, with a bucket of the whole
	// rate and burst per key: the cluster admits up to members × the rate
	// until the grain answers again. The default.
	LossOpen = "open"
	// LossClosed refuses with 503 and Retry-After every request that finds
	// no leased token.
	LossClosed = "closed"
)

// Cluster is what a cluster-scoped limit needs of a cluster: leases of
// cluster-wide buckets. Package cluster's *Node is one.
type Cluster interface {
	Pool(lease.Config) (*lease.Pool, error)
}

// optionError is an error about one option, placed at its key's line in a
// configuration file.
type optionError struct {
	key string
	err error
}

func (e *optionError) Error() string     { return e.err.Error() }
func (e *optionError) Unwrap() error     { return e.err }
func (e *optionError) OptionKey() string { return e.key }

// newCluster returns the Spec of a cluster-scoped limit: a Stateless stage
// (its state is in the lease pool, safe for concurrent use, and a request
// may wait on its first lease of a key) over s's policy and key.
func newCluster(name string, cfg Config, s *shared) (*actors.Spec, error) {
	loss := lease.FailOpen
	switch cfg.OnClusterLoss {
	case "", LossOpen:
	case LossClosed:
		loss = lease.FailClosed
	default:
		return nil, &optionError{"on_cluster_loss", fmt.Errorf("rate limit %q: on_cluster_loss %q: want open or closed", name, cfg.OnClusterLoss)}
	}
	if cfg.Cluster == nil {
		return nil, &optionError{"scope", fmt.Errorf("rate limit %q: scope cluster needs a cluster (a cluster section in the configuration)", name)}
	}
	pool, err := cfg.Cluster.Pool(lease.Config{
		Name:   name,
		Policy: lease.Policy{Interval: time.Duration(s.policy.interval), Burst: s.policy.burst},
		OnLoss: loss,
	})
	if err != nil {
		return nil, fmt.Errorf("rate limit %q: %w", name, err)
	}
	return &actors.Spec{
		Name:     name,
		Kind:     actors.Stateless,
		Priority: Priority,
		Stage:    &clusterLimiter{shared: s, pool: pool, closed: loss == lease.FailClosed},
	}, nil
}

// clusterLimiter is a cluster-scoped limit: this member's leases of the
// cluster-wide buckets. It is safe for concurrent use.
type clusterLimiter struct {
	*shared
	pool   *lease.Pool
	closed bool
}

var _ actors.Stage = (*clusterLimiter)(nil)

// Process takes a token of the request's cluster-wide bucket. On a 429
// (or, while the bucket's grain cannot be reached and on_cluster_loss is
// closed, a 503) it ends the exchange with Retry-After. RateLimit-Remaining
// is what this member holds of the bucket, a lower bound of what the
// cluster has left.
func (l *clusterLimiter) Process(ex *actors.Exchange) error {
	if ex.Preflight() {
		return nil
	}
	var buf [64]byte
	d := l.pool.Take(ex.Context(), bucketID(l.key.append(buf[:0], ex)))
	h := ex.Response.Header()
	switch {
	case d.Allowed:
		l.setHeaders(h, decision{allowed: true, remaining: d.Remaining, reset: (l.policy.burst - d.Remaining) * l.policy.interval})
		return nil
	case d.Lost && l.closed:
		return &actors.Error{Status: http.StatusServiceUnavailable, RetryAfter: d.RetryAfter,
			Detail: "rate limit unavailable: its cluster-wide bucket cannot be reached"}
	}
	l.setHeaders(h, decision{reset: l.policy.capacity, retry: int64(d.RetryAfter)})
	return &actors.Error{Status: http.StatusTooManyRequests, Detail: l.detail, RetryAfter: d.RetryAfter}
}

// bucketID returns the part of a grain's identity that names key: the
// first 128 bits of its SHA-256, in hex, so that every member names it
// alike, identities have one length, and keys (addresses, subjects) do not
// appear in the cluster's logs.
func bucketID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:16])
}
