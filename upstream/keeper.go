package upstream

import (
	"errors"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.uber.org/zap"
)

// keeper is the state of an upstream that is decided in one place: its
// circuit breaker, its retry budget, and the load and health of its
// targets. Every attempt is admitted by it (the breaker's Allow, a target
// picked) and reported to it (the breaker's done, the target's health, the
// budget when a retry is wanted).
//
// It is not safe for concurrent use: the upstream's actor owns it (see
// keeperActor), and its tests drive it directly. It reads the time with
// time.Now, as gobreaker does — gobreaker takes no clock — so tests script
// time with testing/synctest, creating the keeper inside the bubble.
type keeper struct {
	name     string
	log      *zap.Logger
	m        *metrics
	cb       *gobreaker.TwoStepCircuitBreaker[struct{}] // nil when disabled
	open     time.Duration                              // how long the breaker stays open
	state    State                                      // as of the last transition
	openedAt time.Time                                  // of the last transition to open
	budget   budget
	targets  []target
	balance  Balance
	next     int // the round-robin cursor
	health   HealthConfig
}

// ticket is an admitted attempt, to be reported exactly once.
type ticket struct {
	done    func(error)   // the breaker's report; nil when the breaker is disabled or the cluster's admitted
	target  int           // index into the targets
	cluster clusterTicket // the cluster-wide breaker's admission, if it admitted
}

// admission is the keeper's answer to a request for an attempt.
type admission struct {
	ok         bool
	ticket     ticket       // when ok
	reject     rejectReason // when not ok: rejectOpen or rejectHalfOpen
	retryAfter time.Duration
}

// newKeeper returns the keeper of an upstream configured by cfg (with its
// defaults applied).
func newKeeper(cfg Config, m *metrics, log *zap.Logger) *keeper {
	k := &keeper{
		name:    cfg.Name,
		log:     log,
		m:       m,
		open:    cfg.Breaker.OpenTimeout,
		budget:  newBudget(cfg.Retry.Budget, time.Now()),
		balance: cfg.Balance,
		health:  cfg.Health,
	}
	for _, t := range cfg.Targets {
		k.targets = append(k.targets, target{base: t})
		m.healthy.WithLabelValues(t).Set(1)
	}
	if !cfg.Breaker.Disabled {
		st := cfg.Breaker.settings(cfg.Name)
		st.OnStateChange = k.changed
		k.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](st)
	}
	return k
}

// changed is the breaker's OnStateChange. gobreaker calls it with its
// mutex held, from Allow or done, so on the actor's turn: it must not call
// the breaker.
func (k *keeper) changed(_ string, from, to gobreaker.State) {
	k.state = stateOf(to)
	if k.state == Open {
		k.openedAt = time.Now()
	}
	k.m.setState(k.state)
	k.m.transitions.WithLabelValues(stateOf(from).String(), k.state.String()).Inc()
	log := k.log.Info
	if k.state == Open {
		log = k.log.Warn
	}
	log("upstream circuit breaker changed state", zap.String("upstream", k.name),
		zap.Stringer("from", stateOf(from)), zap.Stringer("to", k.state))
}

// admit decides whether an attempt may start and, if so, on which target.
// first says it is a request's first attempt, which the retry budget
// counts.
func (k *keeper) admit(first bool) admission { return k.admitWith(first, false) }

// admitWith is admit; clustered says a cluster-wide breaker admitted the
// attempt, so the local one is not asked (it decides only while the
// cluster's grain is lost).
func (k *keeper) admitWith(first, clustered bool) admission {
	var done func(error)
	if k.cb != nil && !clustered {
		d, err := k.cb.Allow()
		if errors.Is(err, gobreaker.ErrOpenState) {
			k.m.rejects[rejectOpen].Inc()
			// At least a little: at the very end of OpenTimeout, gobreaker
			// is still open (it turns half-open strictly after).
			return admission{reject: rejectOpen, retryAfter: max(k.openFor(time.Now()), time.Millisecond)}
		}
		if err != nil { // gobreaker.ErrTooManyRequests: every probe is out
			k.m.rejects[rejectHalfOpen].Inc()
			return admission{reject: rejectHalfOpen, retryAfter: time.Second}
		}
		done = d
	}
	now := time.Now()
	if first {
		k.budget.request(now)
	}
	t := k.pick(now)
	k.targets[t].inFlight++
	return admission{ok: true, ticket: ticket{done: done, target: t}}
}

// openFor returns how long the breaker stays open, as of now.
func (k *keeper) openFor(now time.Time) time.Duration {
	return max(k.openedAt.Add(k.open).Sub(now), 0)
}

// report takes the result of an admitted attempt. With wantRetry (the
// attempt failed, and the caller would try again), it also decides whether
// the retry may go: only while the breaker is closed and the budget has
// room.
func (k *keeper) report(t ticket, r result, o outcome, wantRetry bool) (retry bool) {
	if t.done != nil {
		t.done(o.err())
	}
	k.m.results[r].Inc()
	tg := &k.targets[t.target]
	tg.inFlight--
	now := time.Now()
	switch o {
	case success:
		tg.failures = 0
	case failure:
		tg.failures++
		if tg.failures >= k.health.ConsecutiveFailures && tg.healthy(now) && k.healthyCount(now) > 1 {
			tg.ejectedUntil = now.Add(k.health.EjectionTime)
			tg.failures = 0
			k.m.healthy.WithLabelValues(tg.base).Set(0)
			k.log.Warn("upstream target ejected", zap.String("upstream", k.name), zap.String("target", tg.base),
				zap.Int("consecutive_failures", k.health.ConsecutiveFailures), zap.Duration("for", k.health.EjectionTime))
		}
	}
	if !wantRetry {
		return false
	}
	if k.cb != nil && t.done != nil && k.cb.State() != gobreaker.StateClosed {
		k.m.breaker.Inc()
		return false
	}
	if !k.budget.tryRetry(now) {
		k.m.budget.Inc()
		return false
	}
	k.m.retries.Inc()
	return true
}

// checked takes the result of an active health check of target i.
func (k *keeper) checked(i int, ok bool) {
	tg := &k.targets[i]
	if tg.checkFailed == !ok {
		return
	}
	tg.checkFailed = !ok
	now := time.Now()
	if tg.healthy(now) {
		k.m.healthy.WithLabelValues(tg.base).Set(1)
	} else {
		k.m.healthy.WithLabelValues(tg.base).Set(0)
	}
	k.log.Info("upstream target health check changed", zap.String("upstream", k.name), zap.String("target", tg.base), zap.Bool("healthy", ok))
}

// status returns a snapshot, and brings the metrics up to date with the
// time: an open breaker past its timeout turns half-open here (gobreaker
// changes state lazily, when asked), an ejection that ran out ends.
func (k *keeper) status() Status {
	now := time.Now()
	s := Status{Name: k.name, State: Closed}
	if k.cb != nil {
		s.State = stateOf(k.cb.State()) // may call changed
		s.Counts = k.cb.Counts()
	}
	s.StateName = s.State.String()
	if s.State == Open {
		s.OpenFor = k.openFor(now)
	}
	for i := range k.targets {
		tg := &k.targets[i]
		ok := tg.healthy(now)
		v := 0.0
		if ok {
			v = 1
		}
		k.m.healthy.WithLabelValues(tg.base).Set(v)
		s.Targets = append(s.Targets, TargetStatus{URL: tg.base, Healthy: ok, InFlight: tg.inFlight})
	}
	return s
}

// healthyCount returns how many targets take attempts at now.
func (k *keeper) healthyCount(now time.Time) int {
	n := 0
	for i := range k.targets {
		if k.targets[i].healthy(now) {
			n++
		}
	}
	return n
}

// pick returns the index of the target for the next attempt: the next
// healthy one in turn, or the healthy one with the fewest attempts in
// progress (the first in turn among equals). With no healthy target, every
// target counts as healthy.
func (k *keeper) pick(now time.Time) int {
	n := len(k.targets)
	anyHealthy := k.healthyCount(now) > 0
	best := -1
	for j := range n {
		i := (k.next + j) % n
		if anyHealthy && !k.targets[i].healthy(now) {
			continue
		}
		if k.balance == RoundRobin {
			best = i
			break
		}
		if best < 0 || k.targets[i].inFlight < k.targets[best].inFlight {
			best = i
		}
	}
	k.next = (best + 1) % n
	return best
}
