package breaker

import (
	"fmt"
	"net/http"
	"time"

	"github.com/sony/gobreaker/v2"
	"github.com/troupe-go/troupe/internal/breakerconf"
	"github.com/troupe-go/troupe/internal/httpstatus"
)

// Config configures a breaker stage. Its names and defaults are those of
// upstream.BreakerConfig, so that a breaker means one thing wherever it is
// declared: both take their defaults, checks and trip rule from
// internal/breakerconf.
//
// Closed, the breaker counts outcomes over a rolling window and trips to
// open when ConsecutiveFailures failures in a row are seen, or when
// FailureRatio of at least MinimumCalls calls failed. Open, it refuses
// every request at once for OpenTimeout, then turns half-open:
// HalfOpenRequests requests go through as probes, the others are refused;
// that many successes in a row close it, one failure opens it again.
type Config struct {
	// ConsecutiveFailures trips the breaker on the Nth failure in a row.
	// Defaults to 5.
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
	// time; 1 is a fixed window that is cleared at once. Defaults to 10.
	Buckets int `yaml:"buckets"`
	// OpenTimeout is how long the breaker stays open before it lets
	// probes through. Defaults to 30s.
	OpenTimeout time.Duration `yaml:"open_timeout"`
	// HalfOpenRequests is how many probes the half-open breaker lets
	// through at once, and how many successes in a row close it.
	// Defaults to 1.
	HalfOpenRequests uint32 `yaml:"half_open_requests"`
	// SlowCallDuration, when positive, makes a call that took longer a
	// failure even if it succeeded or ran out of time. Zero (the
	// default): off.
	SlowCallDuration time.Duration `yaml:"slow_call_duration"`
	// FailureStatuses are the response statuses that count as failures:
	// codes ("503") or classes ("5xx"). Defaults to ["5xx"]: a 4xx is the
	// client's problem, not the dependency's.
	FailureStatuses []string `yaml:"failure_statuses"`
	// Fallback, when set, is answered instead of the 503 while the
	// breaker refuses requests.
	Fallback *Fallback `yaml:"fallback"`
}

// Fallback is a static response, answered while the breaker refuses
// requests.
type Fallback struct {
	// Status defaults to 200.
	Status int `yaml:"status"`
	// ContentType defaults to "text/plain; charset=utf-8".
	ContentType string `yaml:"content_type"`
	// Body is the response body.
	Body string `yaml:"body"`
}

// optionError is a bad option value, reported at its key's line by the
// configuration (config.StageKind looks for OptionKey).
type optionError struct {
	key string
	msg string
}

func (e *optionError) Error() string { return e.msg }

// OptionKey returns the option the error is about.
func (e *optionError) OptionKey() string { return e.key }

// rule returns c's options as the shared definition takes them.
func (c Config) rule() breakerconf.Rule {
	return breakerconf.Rule{
		ConsecutiveFailures: c.ConsecutiveFailures, FailureRatio: c.FailureRatio, MinimumCalls: c.MinimumCalls,
		Window: c.Window, Buckets: c.Buckets, OpenTimeout: c.OpenTimeout, HalfOpenRequests: c.HalfOpenRequests,
		SlowCallDuration: c.SlowCallDuration, FailureStatuses: c.FailureStatuses,
	}
}

// withDefaults returns c with its zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	r := c.rule().WithDefaults()
	c.ConsecutiveFailures, c.MinimumCalls, c.Window, c.Buckets = r.ConsecutiveFailures, r.MinimumCalls, r.Window, r.Buckets
	c.OpenTimeout, c.HalfOpenRequests, c.FailureStatuses = r.OpenTimeout, r.HalfOpenRequests, r.FailureStatuses
	if f := c.Fallback; f != nil {
		fb := *f
		fb.Status = orDefault(fb.Status, http.StatusOK)
		fb.ContentType = orDefault(fb.ContentType, "text/plain; charset=utf-8")
		c.Fallback = &fb
	}
	return c
}

// check returns the first problem of c (with its defaults), naming the
// stage, or nil; and the failure statuses parsed.
func (c Config) check(name string) (httpstatus.Set, error) {
	bad := func(key, format string, args ...any) (httpstatus.Set, error) {
		return httpstatus.Set{}, &optionError{key: key, msg: fmt.Sprintf("breaker %q: %s: ", name, key) + fmt.Sprintf(format, args...)}
	}
	set, problems := c.rule().Problems()
	if len(problems) > 0 {
		return bad(problems[0].Key, "%s", problems[0].Reason)
	}
	if c.Fallback != nil && (c.Fallback.Status < 200 || c.Fallback.Status > 599) {
		return bad("fallback", "status must be from 200 to 599, got %d", c.Fallback.Status)
	}
	return set, nil
}

// settings returns the gobreaker settings of c; the caller adds the
// state-change callback.
func (c Config) settings(name string) gobreaker.Settings {
	return c.rule().Settings(name, errNeutral)
}

// orDefault returns v, or def if v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
