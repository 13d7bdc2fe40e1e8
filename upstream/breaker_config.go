package upstream

import (
	"errors"
	"fmt"
	"time"

	"github.com/sony/gobreaker/v2"
	"github.com/troupe-go/troupe/internal/breakerconf"
)

// BreakerConfig configures an upstream's circuit breaker, a gobreaker v2
// TwoStepCircuitBreaker owned by the upstream's actor. Its names follow
// gobreaker's Settings where they map onto them, and resilience4j's for
// what gobreaker leaves to the caller (the failure ratio with a minimum of
// calls, slow calls).
//
// Closed, it counts outcomes over a rolling window and trips to open when
// ConsecutiveFailures failures in a row are seen, or when FailureRatio of
// at least MinimumCalls calls failed. Open, it refuses every call at once
// (503 with Retry-After: the time left open) for OpenTimeout, then turns
// half-open: HalfOpenRequests calls go through as probes, the rest are
// refused; that many successes in a row close it, one failure opens it
// again. A call its client cancelled counts neither way, and frees its
// probe slot.
type BreakerConfig struct {
	// Disabled turns the breaker off: every call goes through, nothing is
	// counted.
	Disabled bool `yaml:"disabled"`
	// ConsecutiveFailures trips the breaker on the Nth failure in a row.
	// Defaults to 5 (Envoy's consecutive_5xx; gobreaker's own default
	// trips on the 6th). The defaults and checks of these options are
	// internal/breakerconf's, shared with the breaker stage.
	ConsecutiveFailures uint32 `yaml:"consecutive_failures"`
	// FailureRatio, when positive, also trips the breaker once at least
	// MinimumCalls calls in the window completed and this fraction of them
	// (0 to 1) failed. Zero (the default): off.
	FailureRatio float64 `yaml:"failure_ratio"`
	// MinimumCalls is how many completed calls the window needs before
	// FailureRatio applies. Defaults to 20.
	MinimumCalls uint32 `yaml:"minimum_calls"`
	// Window is how far back the closed breaker counts outcomes. Defaults
	// to 10s.
	Window time.Duration `yaml:"window"`
	// Buckets splits Window into that many buckets that roll one at a
	// time (gobreaker's BucketPeriod = Window / Buckets); 1 is a fixed
	// window that is cleared at once. Defaults to 10.
	Buckets int `yaml:"buckets"`
	// OpenTimeout is how long the breaker stays open before it lets
	// probes through. Defaults to 30s.
	OpenTimeout time.Duration `yaml:"open_timeout"`
	// HalfOpenRequests is how many probes the half-open breaker lets
	// through at once, and how many successes in a row close it
	// (gobreaker's MaxRequests). Defaults to 1.
	HalfOpenRequests uint32 `yaml:"half_open_requests"`
	// SlowCallDuration, when positive, makes a call that took longer a
	// failure even if it succeeded (its response is still answered). Zero
	// (the default): off.
	SlowCallDuration time.Duration `yaml:"slow_call_duration"`
	// FailureStatuses are the response statuses that count as failures:
	// codes ("503") or classes ("5xx"). Defaults to ["5xx"]: a 4xx is the
	// client's problem, not the upstream's.
	FailureStatuses []string `yaml:"failure_statuses"`
	// IgnoreConnectionErrors makes connection errors (refused, reset,
	// broken responses) neutral rather than failures.
	IgnoreConnectionErrors bool `yaml:"ignore_connection_errors"`
	// IgnoreTimeouts makes timeouts (the attempt's or the request's
	// deadline) neutral rather than failures.
	IgnoreTimeouts bool `yaml:"ignore_timeouts"`
	// Scope is "local" (the default: this server's breaker, its own
	// counts) or "cluster": one breaker for every server of the cluster
	// (the configuration's cluster section), owned by a grain that counts
	// the outcomes of calls from all of them and trips on their sum. Each
	// server admits on a lease of the breaker's state and reports its
	// counts with each renewal, so every server learns of a trip, and of
	// a close, within the cluster's lease_ttl (1s by default); see
	// ScopeCluster. Give the upstream the same name and breaker options on
	// every server.
	Scope string `yaml:"scope"`
	// OnClusterLoss is what a cluster-scoped breaker does while its grain
	// cannot be reached: "open" (the default: this server's own breaker
	// decides, as with scope local) or "closed" (every call is refused,
	// 503 with Retry-After). See LossOpen and LossClosed.
	OnClusterLoss string `yaml:"on_cluster_loss"`
}

// rule returns b's options as the shared definition takes them.
func (b BreakerConfig) rule() breakerconf.Rule {
	return breakerconf.Rule{
		ConsecutiveFailures: b.ConsecutiveFailures, FailureRatio: b.FailureRatio, MinimumCalls: b.MinimumCalls,
		Window: b.Window, Buckets: b.Buckets, OpenTimeout: b.OpenTimeout, HalfOpenRequests: b.HalfOpenRequests,
		SlowCallDuration: b.SlowCallDuration, FailureStatuses: b.FailureStatuses,
	}
}

func (b BreakerConfig) withDefaults() BreakerConfig {
	r := b.rule().WithDefaults()
	b.ConsecutiveFailures, b.MinimumCalls, b.Window, b.Buckets = r.ConsecutiveFailures, r.MinimumCalls, r.Window, r.Buckets
	b.OpenTimeout, b.HalfOpenRequests, b.FailureStatuses = r.OpenTimeout, r.HalfOpenRequests, r.FailureStatuses
	if b.Scope == "" {
		b.Scope = ScopeLocal
	}
	if b.OnClusterLoss == "" {
		b.OnClusterLoss = LossOpen
	}
	return b
}

func (b BreakerConfig) validate() error {
	var errs []error
	_, problems := b.rule().Problems()
	for _, p := range problems {
		errs = append(errs, fmt.Errorf("breaker: %s: %s", p.Key, p.Reason))
	}
	if err := b.checkScope(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// settings returns the gobreaker settings of b; the caller adds the
// callbacks that report to its owner.
func (b BreakerConfig) settings(name string) gobreaker.Settings {
	return b.rule().Settings(name, errNeutral)
}

// Outcomes as the breaker's done callback takes them: nil is a success.
var (
	errFailure = errors.New("upstream: failed call")
	errNeutral = errors.New("upstream: neutral call")
)
