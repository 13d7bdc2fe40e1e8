package jobs

import (
	"math/rand/v2"

	"github.com/troupe-go/troupe/supervisor"
	"go.uber.org/zap"
)

// Option configures a Runner.
type Option interface{ apply(*Runner) }

type optionFunc func(*Runner)

func (f optionFunc) apply(r *Runner) { f(r) }

// WithClock sets the clock of the schedule: claims, leases, heartbeats,
// polls and back-offs. Defaults to the system clock; tests inject a fake
// one.
func WithClock(c supervisor.Clock) Option { return optionFunc(func(r *Runner) { r.clock = c }) }

// WithLogger sets the logger. Defaults to none.
func WithLogger(log *zap.Logger) Option { return optionFunc(func(r *Runner) { r.log = log }) }

// WithRandom sets the source of the back-off's jitter: a function returning
// a uniform number in [0, 1). Defaults to math/rand/v2's Float64.
func WithRandom(f func() float64) Option { return optionFunc(func(r *Runner) { r.random = f }) }

// WithAlert sets a function called once each time a job dies (it failed its
// last attempt, or passed its deadline), on the goroutine of the attempt
// that killed it, after the store has recorded its death. It must not
// block for long: a webhook call belongs on a goroutine its owner waits
// for (see Alerts).
func WithAlert(f func(j Job)) Option { return optionFunc(func(r *Runner) { r.alert = f }) }

func defaults(r *Runner) {
	if r.clock == nil {
		r.clock = supervisor.SystemClock()
	}
	if r.log == nil {
		r.log = zap.NewNop()
	}
	if r.random == nil {
		r.random = rand.Float64
	}
	r.retention = r.retention.withDefaults()
}
