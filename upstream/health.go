package upstream

import (
	"errors"
	"strings"
	"time"
)

// HealthConfig configures the health of each target. Passively, a target
// that fails ConsecutiveFailures attempts in a row is ejected — no attempt
// goes to it — for EjectionTime (Envoy's outlier detection). Actively,
// when Path is set, each target is sent "GET Path" every Interval, and is
// out of the rotation while its last check failed (an error, a timeout, or
// a status other than 2xx). The last healthy target is never ejected: with
// every target unhealthy, all of them take traffic again, and the breaker
// decides.
type HealthConfig struct {
	// ConsecutiveFailures ejects a target after that many failed attempts
	// in a row. Defaults to 5.
	ConsecutiveFailures int `yaml:"consecutive_failures"`
	// EjectionTime is how long an ejected target gets no attempts.
	// Defaults to 30s.
	EjectionTime time.Duration `yaml:"ejection_time"`
	// Path turns active checks on: the path each target is checked on,
	// such as "/healthz". Empty (the default): no active checks.
	Path string `yaml:"path"`
	// Interval is the time between two checks of a target. Defaults to
	// 10s.
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one check. Defaults to 1s.
	Timeout time.Duration `yaml:"timeout"`
}

func (h HealthConfig) withDefaults() HealthConfig {
	h.ConsecutiveFailures = orDefault(h.ConsecutiveFailures, 5)
	h.EjectionTime = orDefault(h.EjectionTime, 30*time.Second)
	h.Interval = orDefault(h.Interval, 10*time.Second)
	h.Timeout = orDefault(h.Timeout, time.Second)
	return h
}

func (h HealthConfig) validate() error {
	var errs []error
	if h.ConsecutiveFailures < 0 || h.EjectionTime < 0 || h.Interval < 0 || h.Timeout < 0 {
		errs = append(errs, errors.New("health: consecutive_failures, ejection_time, interval and timeout must not be negative"))
	}
	if h.Path != "" && !strings.HasPrefix(h.Path, "/") {
		errs = append(errs, errors.New(`health: path must start with "/"`))
	}
	return errors.Join(errs...)
}

// target is one of an upstream's servers, as its actor sees it.
type target struct {
	base     string // the base URL, as configured
	inFlight int    // attempts in progress
	// failures counts the failed attempts in a row; at
	// HealthConfig.ConsecutiveFailures the target is ejected until
	// ejectedUntil.
	failures     int
	ejectedUntil time.Time
	checkFailed  bool // the last active check failed
}

// healthy reports whether the target takes attempts at now.
func (t *target) healthy(now time.Time) bool {
	return !t.checkFailed && !now.Before(t.ejectedUntil)
}
