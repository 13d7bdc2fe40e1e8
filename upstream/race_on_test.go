//go:build race

package upstream

// raceEnabled reports whether the race detector is on: it slows every
// call several times, so latency bounds are checked only without it.
const raceEnabled = true
