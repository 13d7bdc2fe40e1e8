package httpin

import (
	"math"
	"time"
)

// minRate is a minimum data rate: n bytes may take grace + n/perSecond.
type minRate struct {
	perSecond int64 // > 0
	grace     time.Duration
}

// allow returns how long n bytes may take at the minimum rate.
func (r minRate) allow(n int64) time.Duration {
	secs := n / r.perSecond
	if secs >= math.MaxInt64/int64(time.Second)/2 {
		return math.MaxInt64 / 2 // centuries: a bound further out than any other
	}
	return r.grace + time.Duration(secs)*time.Second + time.Duration(n%r.perSecond)*time.Second/time.Duration(r.perSecond)
}

// capAt returns t, or limit if it comes first; a zero limit is no limit.
func capAt(t, limit time.Time) time.Time {
	if !limit.IsZero() && t.After(limit) {
		return limit
	}
	return t
}
