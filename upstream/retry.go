package upstream

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/troupe-go/troupe/internal/httpstatus"
)

// RetryConfig configures retries: which calls are tried again, how often,
// after how long, and within what budget.
//
// A failed attempt is retried only when all of these hold: the request is
// idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE, or one with an
// Idempotency-Key header, as net/http's Transport decides) or
// NonIdempotent is set; the failure is a connection error, a timeout of
// the attempt, or a status in Statuses; attempts are left; the breaker is
// closed; the retry budget has room; and the request's deadline leaves at
// least the back-off plus MinTimeLeft. The back-off is exponential with
// full jitter: a random duration up to InitialBackoff × Multiplier^(n-1),
// capped at MaxBackoff.
type RetryConfig struct {
	// MaxAttempts is the most attempts a request makes, the first
	// included; 1 turns retries off. Defaults to 2.
	MaxAttempts int `yaml:"max_attempts"`
	// InitialBackoff is the back-off before the first retry, before
	// jitter. Defaults to 25ms.
	InitialBackoff time.Duration `yaml:"initial_backoff"`
	// MaxBackoff caps the back-off, before jitter. Defaults to 1s.
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// Multiplier grows the back-off after each retry. Defaults to 2.
	Multiplier float64 `yaml:"multiplier"`
	// Statuses are the response statuses worth retrying: codes or classes.
	// Defaults to ["502", "503", "504"].
	Statuses []string `yaml:"statuses"`
	// NonIdempotent lets requests of every method be retried. Off by
	// default: a POST that timed out may have been done.
	NonIdempotent bool `yaml:"non_idempotent"`
	// MinTimeLeft is the least time before the request's deadline that an
	// attempt is worth starting: with less, the request is not retried,
	// and a first attempt is not made (504). Defaults to 5ms.
	MinTimeLeft time.Duration `yaml:"min_time_left"`
	// Budget bounds the extra load retries make.
	Budget BudgetConfig `yaml:"budget"`
}

func (r RetryConfig) withDefaults() RetryConfig {
	r.MaxAttempts = orDefault(r.MaxAttempts, 2)
	r.InitialBackoff = orDefault(r.InitialBackoff, 25*time.Millisecond)
	r.MaxBackoff = orDefault(r.MaxBackoff, time.Second)
	r.Multiplier = orDefault(r.Multiplier, 2)
	if r.Statuses == nil {
		r.Statuses = []string{"502", "503", "504"}
	}
	r.MinTimeLeft = orDefault(r.MinTimeLeft, 5*time.Millisecond)
	r.Budget = r.Budget.withDefaults()
	return r
}

func (r RetryConfig) validate() error {
	var errs []error
	if r.MaxAttempts < 0 {
		errs = append(errs, errors.New("retry: max_attempts must not be negative"))
	}
	if r.InitialBackoff < 0 || r.MaxBackoff < 0 || r.MinTimeLeft < 0 {
		errs = append(errs, errors.New("retry: durations must not be negative"))
	}
	if r.Multiplier < 1 {
		errs = append(errs, fmt.Errorf("retry: multiplier must be at least 1, got %v", r.Multiplier))
	}
	if _, err := httpstatus.Parse(r.Statuses); err != nil {
		errs = append(errs, fmt.Errorf("retry: statuses: %w", err))
	}
	return errors.Join(append(errs, r.Budget.validate())...)
}

// backoff returns the back-off before retry n (1 for the first), with full
// jitter: jitter is a random number in [0, 1).
func (r RetryConfig) backoff(n int, jitter float64) time.Duration {
	d := float64(r.InitialBackoff)
	for i := 1; i < n && d < float64(r.MaxBackoff); i++ {
		d *= r.Multiplier
	}
	d = min(d, float64(r.MaxBackoff))
	return time.Duration(d * jitter)
}

// idempotent reports whether a request may be sent twice without harm:
// its method is idempotent (RFC 9110, section 9.2.2), or it carries an
// idempotency key, as net/http's Transport decides for its own retries.
func idempotent(method string, h http.Header) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return h.Get("Idempotency-Key") != "" || h.Get("X-Idempotency-Key") != ""
}
