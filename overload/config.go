package overload

import (
	"errors"
	"fmt"
	"time"
)

// Config configures a Limiter. Its zero value is the defaults: every field
// left zero takes the default its comment gives.
type Config struct {
	// MinLimit is the lowest the concurrency limit goes, and the
	// concurrency the limiter pins itself to while it re-measures the
	// unloaded service time. Default 4.
	MinLimit int
	// MaxLimit is the highest the concurrency limit goes. Default 1024.
	MaxLimit int
	// InitialLimit is the limit before any measurement. Default 20, or
	// MinLimit or MaxLimit if 20 is outside them.
	InitialLimit int
	// Smoothing is the weight, in (0, 1], of each new computed limit in
	// the limit's moving average: 1 follows every measurement at once,
	// smaller values damp the noise of short windows. Default 0.5.
	Smoothing float64
	// Tolerance is how much slower than the unloaded service time (the
	// minimum RTT) the measured service time may be before the limit
	// falls, as a fraction: 0.25 lets it run 25% slower (a short queue in
	// the backend keeps it busy). Default 0.25.
	Tolerance float64
	// QueueTarget is the wait in the queue the limiter aims for under
	// sustained overload: once the queue has stood for QueueInterval
	// without draining below it, a waiter that has waited longer than
	// QueueTarget is refused (ReasonQueueDelay), and the queue is sized
	// to what is served within it. Default 5ms.
	QueueTarget time.Duration
	// QueueInterval is how long the queue may stand above QueueTarget
	// before the limiter calls it overload, and the longest a waiter
	// waits outside overload (a burst that drains within it is served,
	// not refused). Default 100ms.
	QueueInterval time.Duration
	// MaxQueue caps the number of waiters, whatever the measured
	// throughput says. Default 1024.
	MaxQueue int
	// NoQueue refuses a request at once when the limit is reached, instead
	// of letting it wait: for callers that would rather fail fast (a
	// bulkhead with no wait). QueueTarget, QueueInterval and MaxQueue are
	// then unused.
	NoQueue bool
	// CutBelowUse lets the limit fall below the concurrency in use while
	// no request reaches it. Off (the default), the limit falls only while
	// it binds: below it, the concurrency is the callers' own (a closed
	// loop of clients; a backend that batches, whose latency rises with
	// its throughput), and a cut under it turns their requests away
	// rather than shed an excess. On, for a limiter in front of a backend
	// it must protect from its own callers (an upstream's bulkhead): a
	// slower backend gets fewer calls at once, whoever makes them.
	CutBelowUse bool
	// MaxRetryAfter caps Rejection.RetryAfter. Default 30s.
	MaxRetryAfter time.Duration
	// ProbeInterval is how often the limiter re-measures the unloaded
	// service time by pinning the limit to MinLimit until a few requests
	// run at that concurrency (about two service times), as Envoy's
	// adaptive concurrency filter does; it also does so at once when the
	// limit has sat at MinLimit while the service time stayed high, which
	// is what a backend that became slower for good looks like. Each
	// probe starts within ±10% of the interval. Default 10s.
	ProbeInterval time.Duration
}

// The defaults of Config's fields.
const (
	// DefaultMinLimit is Config.MinLimit's default.
	DefaultMinLimit = 4
	// DefaultMaxLimit is Config.MaxLimit's default, the ingress's
	// max_in_flight default.
	DefaultMaxLimit = 1024
	// DefaultInitialLimit is Config.InitialLimit's default.
	DefaultInitialLimit = 20
	// DefaultSmoothing is Config.Smoothing's default.
	DefaultSmoothing = 0.5
	// DefaultTolerance is Config.Tolerance's default.
	DefaultTolerance = 0.25
	// DefaultQueueTarget is Config.QueueTarget's default, CoDel's.
	DefaultQueueTarget = 5 * time.Millisecond
	// DefaultQueueInterval is Config.QueueInterval's default, CoDel's.
	DefaultQueueInterval = 100 * time.Millisecond
	// DefaultMaxQueue is Config.MaxQueue's default.
	DefaultMaxQueue = 1024
	// DefaultMaxRetryAfter is Config.MaxRetryAfter's default.
	DefaultMaxRetryAfter = 30 * time.Second
	// DefaultProbeInterval is Config.ProbeInterval's default.
	DefaultProbeInterval = 10 * time.Second
)

// withDefaults returns c with its zero fields set to the defaults, or an
// error naming the first field that is out of range.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	neg := func(name string, v int64) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("overload: %s must not be negative (got %d)", name, v))
		}
	}
	neg("MinLimit", int64(c.MinLimit))
	neg("MaxLimit", int64(c.MaxLimit))
	neg("InitialLimit", int64(c.InitialLimit))
	neg("MaxQueue", int64(c.MaxQueue))
	neg("QueueTarget", int64(c.QueueTarget))
	neg("QueueInterval", int64(c.QueueInterval))
	neg("MaxRetryAfter", int64(c.MaxRetryAfter))
	neg("ProbeInterval", int64(c.ProbeInterval))
	if c.Smoothing < 0 || c.Smoothing > 1 {
		errs = append(errs, fmt.Errorf("overload: Smoothing must be in (0, 1] (got %g)", c.Smoothing))
	}
	if c.Tolerance < 0 {
		errs = append(errs, fmt.Errorf("overload: Tolerance must not be negative (got %g)", c.Tolerance))
	}
	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MinLimit, DefaultMinLimit)
	def(&c.MaxLimit, max(DefaultMaxLimit, c.MinLimit))
	def(&c.MaxQueue, DefaultMaxQueue)
	if c.InitialLimit == 0 {
		c.InitialLimit = min(max(DefaultInitialLimit, c.MinLimit), c.MaxLimit)
	}
	if c.Smoothing == 0 {
		c.Smoothing = DefaultSmoothing
	}
	if c.Tolerance == 0 {
		c.Tolerance = DefaultTolerance
	}
	defD(&c.QueueTarget, DefaultQueueTarget)
	defD(&c.QueueInterval, DefaultQueueInterval)
	defD(&c.MaxRetryAfter, DefaultMaxRetryAfter)
	defD(&c.ProbeInterval, DefaultProbeInterval)
	switch {
	case c.MinLimit > c.MaxLimit:
		return c, fmt.Errorf("overload: MinLimit %d is above MaxLimit %d", c.MinLimit, c.MaxLimit)
	case c.InitialLimit < c.MinLimit || c.InitialLimit > c.MaxLimit:
		return c, fmt.Errorf("overload: InitialLimit %d is outside [MinLimit %d, MaxLimit %d]", c.InitialLimit, c.MinLimit, c.MaxLimit)
	case c.QueueTarget > c.QueueInterval:
		return c, fmt.Errorf("overload: QueueTarget %v is above QueueInterval %v", c.QueueTarget, c.QueueInterval)
	case c.MaxRetryAfter < time.Second:
		return c, fmt.Errorf("overload: MaxRetryAfter %v is under the 1s floor of RetryAfter", c.MaxRetryAfter)
	}
	return c, nil
}

// Option changes how New builds a Limiter, for tests mostly.
type Option func(*options)

type options struct {
	now func() time.Time
	// lifo serves the newest waiter first while the queue stands
	// (Facebook's adaptive LIFO). Off: the simulation found it no help
	// (doc.go); kept, unexported, for that comparison.
	lifo bool
	// algo is the limit algorithm; the comparison swaps in others.
	algo algorithm
}

// WithClock makes the limiter read the time from now instead of time.Now.
// It measures service times and queue sojourns with it; waiters still wait
// on the time package's timers, so tests that make requests wait run in
// testing/synctest, whose fake time both follow.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// Validate reports what is wrong with c, if anything, judged with the
// defaults in for its zero fields: what New would refuse.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}
