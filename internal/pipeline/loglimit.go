package pipeline

import (
	"sync/atomic"
	"time"
)

// causeLinesPerSecond bounds the "request failed" lines logged each second,
// across the process: a failing dependency under load fails every request,
// and a line (with its stack) for each would cost more than the requests.
// The lines past it are counted, and the count is logged with the next line
// that gets through.
const causeLinesPerSecond = 10

// lineBudget lets through at most n lines per wall-clock second.
type lineBudget struct {
	n          int64
	second     atomic.Int64 // the Unix second the count is for
	count      atomic.Int64 // lines asked for in that second
	suppressed atomic.Int64 // lines refused since the last one let through
}

var causeLines = lineBudget{n: causeLinesPerSecond}

// allow reports whether a line may be logged now, and how many were
// refused since the last one allowed.
func (b *lineBudget) allow(now time.Time) (ok bool, suppressed int64) {
	s := now.Unix()
	if old := b.second.Load(); old != s && b.second.CompareAndSwap(old, s) {
		b.count.Store(0)
	}
	if b.count.Add(1) > b.n {
		b.suppressed.Add(1)
		return false, 0
	}
	return true, b.suppressed.Swap(0)
}
