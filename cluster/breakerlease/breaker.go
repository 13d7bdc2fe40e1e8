package breakerlease

import "time"

// Breaker is the cluster-wide state of one breaker, kept by its owner. It
// takes every member's reports and answers each with a lease. It is not
// safe for concurrent use (a grain's turn owns it); times are nanoseconds
// on the owner's clock, passed in.
type Breaker struct {
	state     State
	gen       uint64
	openUntil int64
	consec    uint32 // failures in a row, from every member's reports
	window    window

	prober      string // the member holding the half-open probes; "" when none
	proberUntil int64  // when its hold ends if it has not reported
	probeOK     uint32 // probes that succeeded, in this half-open state
}

// State returns the breaker's state at now (an open breaker past its
// timeout is half-open).
func (b *Breaker) State(p Policy, now int64) State {
	b.advance(p, now)
	return b.state
}

// Renew takes r's counts and returns the lease for r's member at now.
// lease is the lease period: a member given the probes that has not
// reported within it loses them to the next member that asks.
func (b *Breaker) Renew(p Policy, now int64, lease time.Duration, r Report) Grant {
	b.advance(p, now)
	if r.Generation == b.gen {
		switch b.state {
		case Closed:
			b.countClosed(p, now, r)
		case HalfOpen:
			if r.Member == b.prober {
				b.countProbes(p, now, r)
			}
		}
	}
	g := Grant{State: b.state, Generation: b.gen}
	switch b.state {
	case Closed:
		left := p.ConsecutiveFailures - min(b.consec, p.ConsecutiveFailures)
		members := uint32(max(r.Members, 1))
		g.Failures = max((left+members-1)/members, 1)
	case Open:
		g.OpenFor = time.Duration(b.openUntil - now)
	case HalfOpen:
		if b.prober == "" || b.prober == r.Member || now >= b.proberUntil {
			b.prober, b.proberUntil = r.Member, now+int64(lease)
			g.Probes = p.HalfOpenRequests - min(b.probeOK, p.HalfOpenRequests)
		}
	}
	return g
}

// countClosed adds a report to the closed breaker's counts, and trips it
// if they call for it.
func (b *Breaker) countClosed(p Policy, now int64, r Report) {
	if r.Successes == 0 && r.Failures == 0 {
		return
	}
	b.window.add(p, now, r.Successes, r.Failures)
	if r.Successes > 0 {
		b.consec = min(r.Trailing, r.Failures)
	} else {
		b.consec += r.Failures
	}
	if r.Failures > 0 && b.readyToTrip(p, now) {
		b.trip(p, now)
	}
}

// readyToTrip is upstream.BreakerConfig's rule on the summed counts.
func (b *Breaker) readyToTrip(p Policy, now int64) bool {
	if b.consec >= p.ConsecutiveFailures {
		return true
	}
	if p.FailureRatio <= 0 {
		return false
	}
	s, f := b.window.totals(p, now)
	n := s + f
	return n >= uint64(p.MinimumCalls) && float64(f) >= p.FailureRatio*float64(n)
}

// countProbes takes the prober's report: one failure opens the breaker
// again, HalfOpenRequests successes close it.
func (b *Breaker) countProbes(p Policy, now int64, r Report) {
	switch {
	case r.Failures > 0:
		b.trip(p, now)
	case b.probeOK+r.Successes >= p.HalfOpenRequests:
		b.change(Closed)
	default:
		b.probeOK += r.Successes
	}
}

// trip opens the breaker for p.OpenTimeout.
func (b *Breaker) trip(p Policy, now int64) {
	b.change(Open)
	b.openUntil = now + int64(p.OpenTimeout)
}

// advance turns an open breaker past its timeout half-open.
func (b *Breaker) advance(_ Policy, now int64) {
	if b.gen == 0 { // generation 0 is a member's "no lease yet"
		b.gen = 1
	}
	if b.state == Open && now >= b.openUntil {
		b.change(HalfOpen)
	}
}

// change moves to state s, a new generation, with no counts.
func (b *Breaker) change(s State) {
	b.state = s
	b.gen++
	b.consec = 0
	b.window.reset()
	b.prober, b.proberUntil, b.probeOK = "", 0, 0
}
