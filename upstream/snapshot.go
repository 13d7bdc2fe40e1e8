package upstream

import (
	"github.com/troupe-go/troupe/internal/live"
	"github.com/troupe-go/troupe/overload"
)

// LiveUpstream returns the upstream's breaker and targets for the admin
// listener's live page: its Status (asked of its keeper actor, off every
// request's path) in the live page's terms.
func (u *Upstream) LiveUpstream() live.Upstream {
	st := u.Status()
	s := live.Upstream{
		Name:                st.Name,
		State:               st.StateName,
		OpenForMS:           live.Millis(st.OpenFor),
		Requests:            st.Counts.Requests,
		TotalFailures:       st.Counts.TotalFailures,
		ConsecutiveFailures: st.Counts.ConsecutiveFailures,
		Targets:             make([]live.Target, 0, len(st.Targets)),
	}
	for _, t := range st.Targets {
		s.Targets = append(s.Targets, live.Target{URL: t.URL, Healthy: t.Healthy, InFlight: t.InFlight})
	}
	return s
}

// Bulkhead returns the overload limiter of the upstream's bulkhead, for
// the live page's limits: its Stats are read without a lock.
func (u *Upstream) Bulkhead() *overload.Limiter { return u.bulkhead.l }
