package jobs

import (
	"fmt"
	"time"
)

// Backoff is the delay before a failed job's next attempt: Base doubled for
// each attempt made after the first, at most Max, times a random factor in
// [1-Jitter, 1+Jitter] so that jobs that failed together do not retry
// together.
type Backoff struct {
	// Base is the delay after the first failed attempt. Defaults to 1 s.
	Base time.Duration
	// Max caps the delay. Defaults to 1 h.
	Max time.Duration
	// Jitter is the fraction by which a delay varies at random, 0 to 1.
	// Defaults to 0.2; a negative value means none.
	Jitter float64
}

func (b Backoff) withDefaults() Backoff {
	if b.Base == 0 {
		b.Base = time.Second
	}
	if b.Max == 0 {
		b.Max = time.Hour
	}
	switch {
	case b.Jitter == 0:
		b.Jitter = 0.2
	case b.Jitter < 0:
		b.Jitter = 0
	}
	return b
}

func (b Backoff) validate() error {
	if b.Base < 0 || b.Max < 0 || b.Jitter > 1 {
		return fmt.Errorf("backoff: base (%s) and max (%s) must not be negative, jitter (%g) at most 1", b.Base, b.Max, b.Jitter)
	}
	if b.Base > 0 && b.Max > 0 && b.Max < b.Base {
		return fmt.Errorf("backoff: max (%s) below base (%s)", b.Max, b.Base)
	}
	return nil
}

// Delay returns the delay after failed attempt number attempt (1 for the
// first), with r a uniform random number in [0, 1) that picks the jitter
// (0.5 means none).
func (b Backoff) Delay(attempt int, r float64) time.Duration {
	b = b.withDefaults()
	d := b.Base
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	return time.Duration(float64(d) * (1 + b.Jitter*(2*r-1)))
}
