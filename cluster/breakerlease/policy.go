package breakerlease

import (
	"fmt"
	"time"
)

// Policy is a breaker's rule for tripping and its timing. Every member
// sends it with each renewal, so an owner needs no configuration of its
// own; give a breaker the same policy on every member.
type Policy struct {
	// ConsecutiveFailures trips the breaker once that many failures in a
	// row have been reported, from all members together. At least 1.
	ConsecutiveFailures uint32
	// FailureRatio, when positive, also trips the breaker once at least
	// MinimumCalls calls in the window completed and this fraction of them
	// failed.
	FailureRatio float64
	// MinimumCalls is how many calls the window needs before FailureRatio
	// applies.
	MinimumCalls uint32
	// Window is how far back outcomes count for FailureRatio. Positive.
	Window time.Duration
	// Buckets splits Window into buckets that roll one at a time; 1 is a
	// fixed window. At least 1.
	Buckets int
	// OpenTimeout is how long the breaker stays open before it lets
	// probes through. Positive.
	OpenTimeout time.Duration
	// HalfOpenRequests is how many probes the half-open breaker lets
	// through, all to one member, and how many successes close it. At
	// least 1.
	HalfOpenRequests uint32
}

// Check reports what is wrong with p, or nil.
func (p Policy) Check() error {
	switch {
	case p.ConsecutiveFailures < 1:
		return fmt.Errorf("breakerlease: ConsecutiveFailures must be at least 1, got %d", p.ConsecutiveFailures)
	case p.FailureRatio < 0 || p.FailureRatio > 1:
		return fmt.Errorf("breakerlease: FailureRatio must be from 0 to 1, got %v", p.FailureRatio)
	case p.Window <= 0 || p.OpenTimeout <= 0:
		return fmt.Errorf("breakerlease: Window and OpenTimeout must be positive, got %v and %v", p.Window, p.OpenTimeout)
	case p.Buckets < 1 || time.Duration(p.Buckets) > p.Window:
		return fmt.Errorf("breakerlease: Buckets must be from 1 to the window in nanoseconds, got %d", p.Buckets)
	case p.HalfOpenRequests < 1:
		return fmt.Errorf("breakerlease: HalfOpenRequests must be at least 1, got %d", p.HalfOpenRequests)
	}
	return nil
}

// State is a breaker's state.
type State int

// The states of a breaker, in gobreaker's order.
const (
	// Closed admits calls and counts their outcomes.
	Closed State = iota
	// HalfOpen lets Policy.HalfOpenRequests probes through, on one member.
	HalfOpen
	// Open refuses every call until Policy.OpenTimeout has passed.
	Open
)

// String returns "closed", "half_open" or "open".
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case HalfOpen:
		return "half_open"
	case Open:
		return "open"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Report is what a member sends its owner with a renewal: the outcomes of
// the calls it admitted since its last report, under the lease of
// Generation.
type Report struct {
	// Member names the member (a Member's is random), the same in each of
	// its reports: the owner gives the half-open probes to one member at
	// a time.
	Member string
	// Generation is the generation of the lease the counts were made
	// under; the owner ignores counts of another generation (made before
	// the state they would count towards). Zero: no lease yet.
	Generation uint64
	// Successes and Failures are the calls that ended either way. Calls
	// that count neither way are left out.
	Successes, Failures uint32
	// Trailing is how many of Failures came after the last of Successes:
	// the run of failures this report ends with.
	Trailing uint32
	// Members is how many members the sender sees, itself included: a
	// closed lease allows ⌈failures left to trip / Members⌉ failures.
	Members int
}

// Grant is an owner's answer to a renewal: the lease.
type Grant struct {
	// State is the breaker's state.
	State State
	// Generation changes with every change of state.
	Generation uint64
	// OpenFor, when Open, is how long the breaker stays open.
	OpenFor time.Duration
	// Failures, when Closed, is how many failures the member may see
	// before it reports (and waits for the answer). At least 1.
	Failures uint32
	// Probes, when HalfOpen, is how many probes this member may let
	// through; 0 when another member holds them.
	Probes uint32
}
