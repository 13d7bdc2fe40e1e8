package upstream

import (
	"fmt"
	"time"

	"github.com/sony/gobreaker/v2"
)

// State is the state of an upstream's circuit breaker.
type State int

// The states of a circuit breaker, in gobreaker's order.
const (
	// Closed lets every call through and counts outcomes.
	Closed State = iota
	// HalfOpen lets BreakerConfig.HalfOpenRequests probes through.
	HalfOpen
	// Open refuses every call until BreakerConfig.OpenTimeout has passed.
	Open
)

var stateNames = [...]string{"closed", "half_open", "open"}

// String returns the state's name, as in metrics labels: "closed",
// "half_open" or "open".
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return stateNames[s]
}

// stateOf maps gobreaker's state onto ours.
func stateOf(s gobreaker.State) State {
	switch s {
	case gobreaker.StateHalfOpen:
		return HalfOpen
	case gobreaker.StateOpen:
		return Open
	}
	return Closed
}

// Status is a snapshot of an upstream: its breaker and its targets.
type Status struct {
	// Name is the upstream's name.
	Name string `json:"name"`
	// State is the breaker's state; Closed when it is disabled.
	State State `json:"-"`
	// StateName is State as a string, for JSON.
	StateName string `json:"state"`
	// OpenFor is how long the breaker stays open; zero unless Open.
	OpenFor time.Duration `json:"open_for"`
	// Counts are the breaker's counts in its current window (or, half-open,
	// since it turned half-open).
	Counts gobreaker.Counts `json:"counts"`
	// Targets are the targets, in configuration order.
	Targets []TargetStatus `json:"targets"`
}

// TargetStatus is the health and load of one target.
type TargetStatus struct {
	// URL is the target's base URL.
	URL string `json:"url"`
	// Healthy is false while the target is ejected (too many failures in a
	// row) or failing its active health checks.
	Healthy bool `json:"healthy"`
	// InFlight is the attempts in progress on it.
	InFlight int `json:"in_flight"`
}
