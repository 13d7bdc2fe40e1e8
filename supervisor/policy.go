package supervisor

import (
	"errors"
	"fmt"
	"time"
)

// Policy is the restart policy of one stage. The zero value is usable: every
// field has a default.
type Policy struct {
	// MaxRestarts is the restart intensity: a stage that fails more than
	// MaxRestarts times within Window is marked down. Defaults to 100, so
	// that a stage that panics on a few bad requests keeps serving the
	// good ones; only a stage failing steadily is taken out.
	MaxRestarts int
	// Window is the period over which failures are counted. Defaults to 1s.
	Window time.Duration
	// Backoff is how long a stage stays down the first time. Defaults to 1s.
	Backoff time.Duration
	// MaxBackoff caps the back-off, which doubles each time the stage goes
	// down again within MaxBackoff of coming back. Defaults to 30s.
	MaxBackoff time.Duration
	// Critical makes the server unready (/readyz 503) while the stage is
	// down. By default a stage that is down fails only the routes that
	// need it (503 with Retry-After) and leaves the server ready: a client
	// that can make one stage crash-loop with a poison input must not take
	// every replica out of its load balancer. Mark a stage critical when
	// no request can be served without it (an auth stage on every route).
	Critical bool
}

// DefaultPolicy returns the policy with every default filled in.
func DefaultPolicy() Policy { return Policy{}.withDefaults() }

func (p Policy) withDefaults() Policy {
	if p.MaxRestarts == 0 {
		p.MaxRestarts = 100
	}
	if p.Window == 0 {
		p.Window = time.Second
	}
	if p.Backoff == 0 {
		p.Backoff = time.Second
	}
	if p.MaxBackoff == 0 {
		p.MaxBackoff = 30 * time.Second
	}
	p.MaxBackoff = max(p.MaxBackoff, p.Backoff)
	return p
}

// Validate reports what is wrong with p, if anything.
func (p Policy) Validate() error {
	var errs []error
	if p.MaxRestarts < 0 {
		errs = append(errs, fmt.Errorf("max_restarts must not be negative, got %d", p.MaxRestarts))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"window", p.Window}, {"backoff", p.Backoff}, {"max_backoff", p.MaxBackoff}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %s", d.name, d.v))
		}
	}
	return errors.Join(errs...)
}
