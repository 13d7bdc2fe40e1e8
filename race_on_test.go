//go:build race

package troupe_test

// raceEnabled reports whether the race detector is on: it slows every
// request several times, so latency bounds are checked strictly only
// without it (.ci/run runs the latency tests both ways).
const raceEnabled = true
