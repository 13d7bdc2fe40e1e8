package overload

import "time"

// Stats is a snapshot of a Limiter's state and counters, for /metrics and
// a live page. Its fields are read with atomics, one by one: each is
// current, but they are not one consistent cut.
type Stats struct {
	// Limit is the current concurrency limit.
	Limit int
	// InFlight is the number of admitted requests not yet ended.
	InFlight int
	// Queued is the number of waiters, by class (index with a Class).
	Queued [NumClasses]int
	// MinRTT is the estimate of the unloaded service time (0 until the
	// first measurement).
	MinRTT time.Duration
	// RTT is the smoothed measured service time (0 until the first
	// measurement).
	RTT time.Duration
	// QueueDelay is how long the oldest waiter has waited; 0 when nobody
	// waits.
	QueueDelay time.Duration
	// Standing reports a standing queue (sustained overload): waiters are
	// allowed QueueTarget instead of QueueInterval, and Sheddable requests
	// are not queued.
	Standing bool
	// Probing reports that the limit is pinned to MinLimit while the
	// unloaded service time is re-measured.
	Probing bool
	// RetryAfter is what a refusal now would carry.
	RetryAfter time.Duration
	// Admitted counts admitted requests by class, since New.
	Admitted [NumClasses]uint64
	// Rejected counts refusals by reason and class, since New (index
	// with a Reason, then a Class).
	Rejected [NumReasons][NumClasses]uint64
}

// Stats returns a snapshot of the limiter's state. It takes no lock.
func (l *Limiter) Stats() Stats {
	s := Stats{
		Limit:      int(l.limit.Load()),
		InFlight:   int(l.inflight.Load()),
		MinRTT:     time.Duration(l.minRTT.Load()),
		RTT:        time.Duration(l.rttEst.Load()),
		Standing:   l.standingNow(),
		Probing:    l.probing.Load(),
		RetryAfter: time.Duration(l.retryAfter.Load()),
	}
	if o := l.oldestEnq.Load(); o >= 0 {
		s.QueueDelay = max(time.Duration(l.nanos()-o), 0)
	}
	for c := range NumClasses {
		s.Queued[c] = int(max(l.queued[c].Load(), 0))
		s.Admitted[c] = l.admitted[c].Load()
		for r := range NumReasons {
			s.Rejected[r][c] = l.rejected[r][c].Load()
		}
	}
	return s
}

// QueuedTotal returns the number of waiters, all classes.
func (s Stats) QueuedTotal() int { return s.Queued[0] + s.Queued[1] + s.Queued[2] }

// AdmittedTotal returns the number of admitted requests, all classes.
func (s Stats) AdmittedTotal() uint64 { return s.Admitted[0] + s.Admitted[1] + s.Admitted[2] }

// RejectedTotal returns the number of refusals, all reasons and classes.
func (s Stats) RejectedTotal() uint64 {
	var n uint64
	for r := range NumReasons {
		for c := range NumClasses {
			n += s.Rejected[r][c]
		}
	}
	return n
}

// standingNow is the standing flag as Stats reports it: the queue stops
// standing when it is empty and nobody was refused for load for
// QueueInterval, even if no request has come since to notice it.
func (l *Limiter) standingNow() bool {
	return l.standing.Load() && !(l.waiting.Load() == 0 && l.nanos()-l.lastRefuse.Load() > int64(l.cfg.QueueInterval))
}
