package upstream

import (
	"errors"
	"fmt"
	"time"
)

// BudgetConfig bounds the extra load that retries put on an upstream, as
// a fraction of its normal traffic (the SRE book's per-client retry budget;
// Envoy's retry_budget bounds concurrent retries the same way). Without a
// budget, an upstream that fails every call gets MaxAttempts times its
// normal load just when it is least able to take it.
type BudgetConfig struct {
	// Ratio is the most retries as a fraction of the requests seen in the
	// window. Defaults to 0.1: retries add at most 10% to the load.
	Ratio float64 `yaml:"ratio"`
	// MinRetries is a floor: this many retries per window are allowed
	// whatever the traffic, so that a quiet upstream can still be retried.
	// Defaults to 3 (Envoy's min_retry_concurrency).
	MinRetries int `yaml:"min_retries"`
	// Window is the span the budget counts requests and retries over.
	// Defaults to 10s.
	Window time.Duration `yaml:"window"`
}

func (b BudgetConfig) withDefaults() BudgetConfig {
	b.Ratio = orDefault(b.Ratio, 0.1)
	b.MinRetries = orDefault(b.MinRetries, 3)
	b.Window = orDefault(b.Window, 10*time.Second)
	return b
}

func (b BudgetConfig) validate() error {
	if b.Ratio < 0 || b.MinRetries < 0 || b.Window < 0 {
		return fmt.Errorf("retry: budget: ratio, min_retries and window must not be negative")
	}
	if b.Ratio > 10 {
		return errors.New("retry: budget: a ratio above 10 is no budget")
	}
	return nil
}

// budget is a retry budget: it counts requests and retries over a sliding
// window, approximated by the current fixed window plus the previous one
// weighted by how much of it still overlaps (the sliding-window counter
// of rate limiters), and grants a retry while
//
//	retries + 1 <= max(MinRetries, Ratio × requests)
//
// Within one window, retries therefore never exceed Ratio × requests once
// past the floor. It is not safe for concurrent use: the upstream's actor
// owns it.
type budget struct {
	cfg   BudgetConfig
	start time.Time // of the current window
	// requests and retries: [0] in the previous window, [1] in the current.
	requests, retries [2]float64
}

func newBudget(cfg BudgetConfig, now time.Time) budget {
	return budget{cfg: cfg, start: now}
}

// roll moves the windows forward to now.
func (b *budget) roll(now time.Time) {
	elapsed := now.Sub(b.start)
	if elapsed < b.cfg.Window {
		return
	}
	if elapsed < 2*b.cfg.Window {
		b.requests = [2]float64{b.requests[1], 0}
		b.retries = [2]float64{b.retries[1], 0}
		b.start = b.start.Add(b.cfg.Window)
		return
	}
	b.requests, b.retries = [2]float64{}, [2]float64{}
	b.start = now
}

// weighted returns the sliding-window estimate of v at now.
func (b *budget) weighted(v [2]float64, now time.Time) float64 {
	overlap := 1 - float64(now.Sub(b.start))/float64(b.cfg.Window)
	return v[0]*overlap + v[1]
}

// request counts a request (a first attempt).
func (b *budget) request(now time.Time) {
	b.roll(now)
	b.requests[1]++
}

// tryRetry grants a retry and counts it, or reports that the budget is
// spent.
func (b *budget) tryRetry(now time.Time) bool {
	b.roll(now)
	allowed := max(float64(b.cfg.MinRetries), b.cfg.Ratio*b.weighted(b.requests, now))
	if b.weighted(b.retries, now)+1 > allowed {
		return false
	}
	b.retries[1]++
	return true
}
