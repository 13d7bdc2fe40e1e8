package supervisor

import "time"

// Clock tells the time and runs functions later. Tests inject a fake one;
// the zero value of Tree's clock is the system clock.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d. Stop cancels it.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop cancels the call; it reports whether the call was still pending.
	Stop() bool
}

// SystemClock returns the real clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
