// Package breakerconf is the one definition of what a circuit breaker's
// options mean, for the two places they are declared: an upstream's
// breaker (upstream.BreakerConfig) and the breaker stage
// (stages/breaker.Config). Both keep their own exported fields and yaml
// keys (their godoc is the configuration's reference); their defaults,
// checks, gobreaker settings and trip rule are these.
package breakerconf

import (
	"fmt"
	"time"

	"github.com/sony/gobreaker/v2"
	"github.com/troupe-go/troupe/internal/httpstatus"
)

// Rule is a breaker's options: when it trips, how long it stays open,
// how it probes, and what counts as a failure. Zero values take the
// defaults of WithDefaults.
type Rule struct {
	ConsecutiveFailures uint32
	FailureRatio        float64
	MinimumCalls        uint32
	Window              time.Duration
	Buckets             int
	OpenTimeout         time.Duration
	HalfOpenRequests    uint32
	SlowCallDuration    time.Duration
	FailureStatuses     []string
}

// The defaults of a Rule's zero fields.
const (
	// DefaultConsecutiveFailures is Envoy's consecutive_5xx (gobreaker's
	// own default trips on the 6th).
	DefaultConsecutiveFailures = 5
	DefaultMinimumCalls        = 20
	DefaultWindow              = 10 * time.Second
	DefaultBuckets             = 10
	DefaultOpenTimeout         = 30 * time.Second
	DefaultHalfOpenRequests    = 1
)

// DefaultFailureStatuses returns the default failure statuses: 5xx, a
// 4xx being the client's problem, not the dependency's.
func DefaultFailureStatuses() []string { return []string{"5xx"} }

// WithDefaults returns r with its zero fields set to their defaults.
func (r Rule) WithDefaults() Rule {
	r.ConsecutiveFailures = orDefault(r.ConsecutiveFailures, DefaultConsecutiveFailures)
	r.MinimumCalls = orDefault(r.MinimumCalls, DefaultMinimumCalls)
	r.Window = orDefault(r.Window, DefaultWindow)
	r.Buckets = orDefault(r.Buckets, DefaultBuckets)
	r.OpenTimeout = orDefault(r.OpenTimeout, DefaultOpenTimeout)
	r.HalfOpenRequests = orDefault(r.HalfOpenRequests, DefaultHalfOpenRequests)
	if r.FailureStatuses == nil {
		r.FailureStatuses = DefaultFailureStatuses()
	}
	return r
}

// Problem is a bad option: Key is its yaml key.
type Problem struct {
	Key    string
	Reason string
}

// Problems returns every problem of r (defaults applied), in the order of
// its fields, and the failure statuses parsed.
func (r Rule) Problems() (httpstatus.Set, []Problem) {
	var ps []Problem
	bad := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: key, Reason: fmt.Sprintf(format, args...)})
	}
	if r.FailureRatio < 0 || r.FailureRatio > 1 {
		bad("failure_ratio", "must be from 0 to 1, got %v", r.FailureRatio)
	}
	if r.Window < 0 {
		bad("window", "must not be negative, got %s", r.Window)
	}
	if r.Buckets < 0 || time.Duration(r.Buckets) > r.Window {
		bad("buckets", "must be from 1 to the window in nanoseconds, got %d", r.Buckets)
	}
	if r.OpenTimeout < 0 {
		bad("open_timeout", "must not be negative, got %s", r.OpenTimeout)
	}
	if r.SlowCallDuration < 0 {
		bad("slow_call_duration", "must not be negative, got %s", r.SlowCallDuration)
	}
	set, err := httpstatus.Parse(r.FailureStatuses)
	if err != nil {
		bad("failure_statuses", "%v", err)
	}
	return set, ps
}

// Settings returns the gobreaker settings of r (defaults applied), named
// name: neutral is the error a call that counts neither way is reported
// with (nil is a success, any other error a failure). The caller adds the
// state-change callback.
func (r Rule) Settings(name string, neutral error) gobreaker.Settings {
	st := gobreaker.Settings{
		Name:         name,
		MaxRequests:  r.HalfOpenRequests,
		Interval:     r.Window,
		Timeout:      r.OpenTimeout,
		ReadyToTrip:  r.ReadyToTrip,
		IsSuccessful: func(err error) bool { return err == nil },
		IsExcluded: func(err error) bool {
			return err == neutral //nolint:errorlint // the caller's own sentinel, never wrapped
		},
	}
	if r.Buckets > 1 {
		st.BucketPeriod = r.Window / time.Duration(r.Buckets)
	}
	return st
}

// ReadyToTrip is gobreaker's ReadyToTrip: called with the window's counts
// after each failure of the closed breaker, it trips on
// ConsecutiveFailures in a row, or, with FailureRatio set, once at least
// MinimumCalls completed and that fraction of them failed.
func (r Rule) ReadyToTrip(c gobreaker.Counts) bool {
	if c.ConsecutiveFailures >= r.ConsecutiveFailures {
		return true
	}
	if r.FailureRatio <= 0 {
		return false
	}
	n := c.TotalSuccesses + c.TotalFailures
	return n >= r.MinimumCalls && float64(c.TotalFailures) >= r.FailureRatio*float64(n)
}

// orDefault returns v, or def if v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
