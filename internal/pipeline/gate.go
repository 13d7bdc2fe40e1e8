package pipeline

import (
	"net/http"
	"sync/atomic"
	"time"
)

// Gate tells whether a stage is serving. The supervisor closes it when the
// stage crash-loops and opens it again after a back-off; while it is closed,
// exchanges that need the stage are answered 503 at once, with Retry-After.
//
// A Gate is safe for concurrent use; checking it is one atomic load.
type Gate struct {
	name    string
	down    atomic.Bool
	reopen  atomic.Int64 // unix nanoseconds at which the gate should reopen
	closed  atomic.Int64 // times the gate was closed
	nowFunc func() time.Time
}

// NewGate returns an open gate for the named stage. now tells the time for
// Retry-After; nil means time.Now.
func NewGate(name string, now func() time.Time) *Gate {
	if now == nil {
		now = time.Now
	}
	return &Gate{name: name, nowFunc: now}
}

// Name returns the name of the stage the gate guards.
func (g *Gate) Name() string { return g.name }

// Down reports whether the gate is closed.
func (g *Gate) Down() bool { return g.down.Load() }

// Close marks the stage down; reopen is when it is due back, for
// Retry-After. The gate does not reopen by itself: Open does that (the
// supervisor calls it after the back-off).
func (g *Gate) Close(reopen time.Time) {
	g.reopen.Store(reopen.UnixNano())
	if !g.down.Swap(true) {
		g.closed.Add(1)
	}
}

// Open marks the stage as serving again.
func (g *Gate) Open() { g.down.Store(false) }

// RetryAfter returns how long until the gate is due to reopen (at least
// zero).
func (g *Gate) RetryAfter() time.Duration {
	d := time.Duration(g.reopen.Load() - g.nowFunc().UnixNano())
	return max(d, 0)
}

// Closures returns how many times the gate has been closed.
func (g *Gate) Closures() int64 { return g.closed.Load() }

// Err returns the error an exchange that needs this closed stage is
// answered with: 503 with Retry-After.
func (g *Gate) Err() *Error {
	return &Error{
		Status:     http.StatusServiceUnavailable,
		Detail:     "stage " + g.name + " is down after repeated failures",
		RetryAfter: g.RetryAfter(),
	}
}
