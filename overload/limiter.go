package overload

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Limiter admits requests up to an adaptive concurrency limit, queues the
// rest for a bounded time, and refuses what will not be served in time.
// Its methods are safe for concurrent use; it starts no goroutines and
// needs no Close.
type Limiter struct {
	cfg   Config
	now   func() time.Time
	epoch time.Time
	lifo  bool
	algo  algorithm

	// The hot path: read and written with atomics only.
	inflight atomic.Int64
	limit    atomic.Int64
	waiting  atomic.Int64 // waiters in the queue, all classes
	rttEst   atomic.Int64 // smoothed service time, ns; 0 before the first window
	probeGen atomic.Uint32
	probing  atomic.Bool
	admitted [NumClasses]atomic.Uint64
	rejected [NumReasons][NumClasses]atomic.Uint64

	// Published for Stats.
	minRTT     atomic.Int64
	queued     [NumClasses]atomic.Int64
	oldestEnq  atomic.Int64 // enqueue time of the oldest waiter, ns; -1 when none
	standing   atomic.Bool
	lastRefuse atomic.Int64 // mirror of queueState.lastRefusal
	retryAfter atomic.Int64

	// winMu guards the current measurement window.
	winMu        sync.Mutex
	win          window
	winGen       uint64      // counts windows, from 1
	winWorkloads []*Workload // the workloads with samples in this window
	def          Workload    // Acquire's

	// mu guards the queue and the controller.
	mu   sync.Mutex
	q    [NumClasses]waitList
	qs   queueState
	ctl  controller
	pool sync.Pool // *waiter

	// admissions, for a static limit (MinLimit = MaxLimit: a stage's
	// cap), predicts when its slots free up; nil for an adaptive one.
	admissions *admissions

	// onAdmit, when set (by tests), is called with the in-flight count
	// and the limit at every admission.
	onAdmit func(inflight, limit int64)
}

// New returns a Limiter configured by cfg (its zero fields take their
// defaults), or an error naming the fields that are out of range.
func New(cfg Config, opts ...Option) (*Limiter, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	o := options{now: time.Now, algo: gradient{tolerance: cfg.Tolerance}}
	for _, opt := range opts {
		opt(&o)
	}
	l := &Limiter{cfg: cfg, now: o.now, lifo: o.lifo, algo: o.algo}
	l.epoch = l.now()
	l.limit.Store(int64(cfg.InitialLimit))
	l.oldestEnq.Store(-1)
	l.retryAfter.Store(int64(time.Second))
	l.ctl.init(cfg)
	l.def.l = l
	l.winGen = 1
	l.pool.New = func() any { return &waiter{ch: make(chan grant, 1)} }
	if cfg.MinLimit == cfg.MaxLimit {
		l.admissions = newAdmissions(cfg.MaxLimit)
	}
	return l, nil
}

// nanos returns the limiter's time: nanoseconds since New, on its clock.
func (l *Limiter) nanos() int64 { return int64(l.now().Sub(l.epoch)) }

// Acquire asks for a slot for a request of class c. It returns at once
// when a slot is free or when it refuses the request; otherwise the request
// waits in the queue until it is admitted, refused (its wait outgrew the
// allowance, a higher class took its place, or its deadline can no longer
// be met) or ctx ends. A refusal is a *Rejection. An admitted request must
// end its Permit with Release, Drop or Ignore.
//
// A request admitted at once is not checked for a context that has already
// ended (that would cost a lock on every request); the work it starts sees
// the context. A deadline on ctx is compared with the limiter's clock: with
// WithClock, build it from that clock's times.
func (l *Limiter) Acquire(ctx context.Context, c Class) (Permit, error) {
	d, _ := ctx.Deadline()
	return l.AcquireUntil(ctx, c, d)
}

// AcquireUntil is Acquire for a request whose deadline is d rather than
// ctx's (the zero time: none), for callers that keep a request's deadline
// apart from its context and would rather not make a context per request
// to carry it. ctx still ends the wait.
func (l *Limiter) AcquireUntil(ctx context.Context, c Class, d time.Time) (Permit, error) {
	return l.def.AcquireUntil(ctx, c, d)
}

func (l *Limiter) acquire(ctx context.Context, c Class, d time.Time) (Permit, error) {
	c = c.norm()
	now := l.nanos()
	var deadline int64
	if !d.IsZero() {
		deadline = int64(d.Sub(l.epoch))
		if left := deadline - now; left <= 0 || left < l.rttEst.Load() {
			return Permit{}, l.reject(ReasonDeadline, c, 0)
		}
	}
	if l.waiting.Load() == 0 {
		if n, ok := l.tryTake(); ok {
			l.admitted[c].Add(1)
			return l.permit(now, n), nil
		}
	}
	return l.acquireSlow(ctx, c, now, deadline)
}

// tryTake takes a slot if the in-flight count is under the limit, and
// returns the count with it.
func (l *Limiter) tryTake() (int64, bool) {
	for {
		n, lim := l.inflight.Load(), l.limit.Load()
		if n >= lim {
			return n, false
		}
		if l.inflight.CompareAndSwap(n, n+1) {
			if l.onAdmit != nil {
				l.onAdmit(n+1, lim)
			}
			return n + 1, true
		}
	}
}

// permit returns the permit of a request admitted at now as the n-th in
// flight.
func (l *Limiter) permit(now, n int64) Permit {
	p := Permit{l: l, start: now, inflight: int32(min(n, 1<<30))}
	if l.admissions != nil {
		l.admissions.admitted(now)
	}
	if l.probing.Load() && n <= int64(l.cfg.MinLimit) {
		p.probe = l.probeGen.Load()
	}
	return p
}

// reject counts a refusal and returns its error.
func (l *Limiter) reject(r Reason, c Class, waited int64) *Rejection {
	l.rejected[r][c].Add(1)
	return &Rejection{Reason: r, Class: c, RetryAfter: time.Duration(l.retryAfter.Load()), Waited: time.Duration(waited)}
}

// Permit is an admitted request's slot. Its zero value holds nothing, and
// ending it is a no-op. Do not copy a Permit you will end: ending it twice
// through the same variable is harmless, through copies it is not.
type Permit struct {
	l        *Limiter
	wl       *Workload
	start    int64
	inflight int32
	probe    uint32
	measured bool // Measure has recorded its sample
}

// outcome is how a permit ended.
type outcome uint8

const (
	outcomeSample outcome = iota // Release: the duration is a service time
	outcomeDrop                  // Drop: a congestion signal
	outcomeIgnore                // Ignore: neither
)

// Release ends the permit of work that finished normally: its duration,
// from admission, is a service-time sample for the limit.
func (p *Permit) Release() { p.end(outcomeSample) }

// Drop ends the permit of work that failed in a way that says the system
// is overloaded (it timed out, or what it called refused it for load): the
// limit backs off by 10% at the end of the window, and the duration is not
// a service-time sample, since a timeout's length says nothing of the
// service time.
func (p *Permit) Drop() { p.end(outcomeDrop) }

// Ignore ends the permit of work whose duration says nothing about the
// system's load (the client went away, the request was refused before any
// real work): the slot is freed and nothing is measured.
func (p *Permit) Ignore() { p.end(outcomeIgnore) }

// Measure records the service time now, from admission, while the permit
// keeps its slot until it ends (and then records nothing more): for work
// whose answer comes long before it lets go — a streamed response, timed to
// its header, whose body a slow client may take minutes to read. Measure
// at most once.
func (p *Permit) Measure() {
	l := p.l
	if l == nil || p.measured {
		return
	}
	p.measured = true
	now := l.nanos()
	l.record(now, now-p.start, outcomeSample, p)
}

// end frees the permit's slot and records its outcome.
func (p *Permit) end(o outcome) {
	l := p.l
	if l == nil {
		return
	}
	if p.measured {
		o = outcomeIgnore
	}
	p.l = nil
	now := l.nanos()
	l.inflight.Add(-1)
	if l.waiting.Load() > 0 {
		l.mu.Lock()
		l.dispatchLocked(max(now, l.nanos()))
		l.mu.Unlock()
	}
	if o != outcomeIgnore {
		l.record(now, now-p.start, o, p)
	}
}

// giveBack frees a slot granted to a waiter that no longer wants it.
func (l *Limiter) giveBack() {
	l.inflight.Add(-1)
	if l.waiting.Load() > 0 {
		l.mu.Lock()
		l.dispatchLocked(l.nanos())
		l.mu.Unlock()
	}
}
