package maintenance

import (
	"sync/atomic"
	"time"
)

// Mode is the state of a maintenance switch.
type Mode struct {
	// Enabled turns maintenance on: requests outside the allow-list get
	// 503.
	Enabled bool
	// RetryAfter is the 503s' Retry-After (whole seconds, rounded up);
	// zero leaves the header out.
	RetryAfter time.Duration
	// Message is the problem detail of the 503s.
	Message string
}

// Switch turns maintenance mode on and off while the server runs. It is
// safe for concurrent use: the mode is one atomic pointer, read by every
// request and written by operators. Every actor hosting the stage shares
// the one Switch; that is the point, and it costs nothing for a flag that
// is read on every request and flipped a few times a year.
//
//	sw := stage.Switch()
//	sw.Set(maintenance.Mode{Enabled: true, RetryAfter: 10 * time.Minute, Message: "upgrading the database"})
//	defer sw.Set(maintenance.Mode{})
//
// The zero Switch is off.
type Switch struct {
	mode atomic.Pointer[Mode]
}

// Mode returns the switch's current mode.
func (s *Switch) Mode() Mode {
	if m := s.mode.Load(); m != nil {
		return *m
	}
	return Mode{}
}

// Set changes the mode; requests that start from now on see it.
func (s *Switch) Set(m Mode) { s.mode.Store(&m) }

// load returns the current mode without copying it, nil when never set.
func (s *Switch) load() *Mode { return s.mode.Load() }
