package live

import "github.com/troupe-go/troupe/overload"

// LimiterOf returns the Limiter entry for an overload limiter's stats.
func LimiterOf(name string, s overload.Stats) Limiter {
	l := Limiter{
		Name:     name,
		Limit:    s.Limit,
		InFlight: s.InFlight,
		Queued:   s.QueuedTotal(),
		Standing: s.Standing,
		MinRTTMS: Millis(s.MinRTT),
		RTTMS:    Millis(s.RTT),
	}
	for _, n := range s.Admitted {
		l.Admitted += n
	}
	for _, byClass := range s.Rejected {
		for _, n := range byClass {
			l.Rejected += n
		}
	}
	return l
}
