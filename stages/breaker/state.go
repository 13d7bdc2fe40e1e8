package breaker

import (
	"fmt"

	"github.com/sony/gobreaker/v2"
)

// State is the state of a breaker stage's circuit breaker. Its value is
// the value of the troupe_breaker_state metric.
type State int

// The states of a circuit breaker, in gobreaker's order.
const (
	// Closed lets every request through and counts outcomes.
	Closed State = iota
	// HalfOpen lets Config.HalfOpenRequests probes through.
	HalfOpen
	// Open refuses every request until Config.OpenTimeout has passed.
	Open
	numStates
)

var stateNames = [numStates]string{"closed", "half_open", "open"}

// String returns the state's name as the metrics spell it: "closed",
// "half_open" or "open".
func (s State) String() string {
	if s < 0 || s >= numStates {
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
