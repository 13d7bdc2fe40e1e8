package overload

import (
	"context"
	"math"
	"time"
)

// waiter is a request waiting in the queue. It is in at most one waitList,
// and only while queued is set; both are guarded by Limiter.mu.
type waiter struct {
	prev, next *waiter
	class      Class
	enq        int64 // when it was queued, ns
	// allow is how long it may wait: its class's allowance when it was
	// queued. A waiter queued before the queue stood keeps the longer
	// one: refusing every such waiter at once when the queue turns
	// standing would answer dozens of requests late at each onset of
	// overload, after waits the short allowance exists to avoid.
	allow    int64
	deadline int64 // its context's deadline, ns; 0 for none
	queued   bool
	ch       chan grant // one answer per wait, sent under Limiter.mu
	timer    *time.Timer
}

// grant is the answer to a waiter: a slot, or a refusal.
type grant struct {
	ok     bool
	reason Reason
	at     int64 // when it was answered, ns
	n      int64 // the in-flight count with it, if ok
}

// waitList is a doubly linked list of waiters, oldest first.
type waitList struct {
	head, tail *waiter
	n          int
}

func (q *waitList) push(w *waiter) {
	w.prev, w.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = w
	} else {
		q.head = w
	}
	q.tail = w
	q.n++
}

func (q *waitList) remove(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		q.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		q.tail = w.prev
	}
	w.prev, w.next = nil, nil
	q.n--
}

// queueState is the standing-queue detector (CoDel's, in the form of
// Facebook's adaptive LIFO). The queue stands once it has gone
// QueueInterval without being empty or its oldest waiter younger than
// QueueTarget. It stops standing once it is empty or under QueueTarget
// again and nobody has been refused for load (ReasonLimit,
// ReasonQueueDelay) for QueueInterval: a queue sized to QueueTarget empties
// often under overload, and that alone must not end it.
type queueState struct {
	lastGood    int64
	lastRefusal int64
	standing    bool
}

// classOrder is the order in which the queue serves classes.
var classOrder = [NumClasses]Class{Critical, Default, Sheddable}

// total returns the number of waiters. Called with l.mu held.
func (l *Limiter) total() int { return l.q[0].n + l.q[1].n + l.q[2].n }

// standingLocked updates and returns whether the queue stands.
func (l *Limiter) standingLocked(now int64) bool {
	s := &l.qs
	interval := int64(l.cfg.QueueInterval)
	if s.standing {
		if now-s.lastRefusal > interval && (l.total() == 0 || now-l.oldestLocked() <= int64(l.cfg.QueueTarget)) {
			s.standing, s.lastGood = false, now
		}
	} else if l.total() == 0 {
		s.lastGood = now
	} else if now-s.lastGood > interval {
		s.standing = true
	}
	l.standing.Store(s.standing)
	return s.standing
}

// refusedForLoad notes a refusal for load at now.
func (l *Limiter) refusedForLoad(now int64) {
	l.qs.lastRefusal = now
	l.lastRefuse.Store(now)
}

// oldestLocked returns when the oldest waiter was queued, or -1.
func (l *Limiter) oldestLocked() int64 {
	oldest := int64(-1)
	for _, c := range classOrder {
		if h := l.q[c].head; h != nil && (oldest < 0 || h.enq < oldest) {
			oldest = h.enq
		}
	}
	return oldest
}

// allowance returns how long a waiter of class c may wait: QueueInterval,
// or QueueTarget while the queue stands; Critical waiters keep
// QueueInterval, since they are served before any other and refusing them
// is the last resort.
func (l *Limiter) allowance(c Class, standing bool) int64 {
	if standing && c != Critical {
		return int64(l.cfg.QueueTarget)
	}
	return int64(l.cfg.QueueInterval)
}

// throughput returns the estimated completions per nanosecond by Little's
// law (the limit over the service time), or 0 before any measurement.
func (l *Limiter) throughput() float64 {
	rtt := l.rttEst.Load()
	if rtt <= 0 {
		return 0
	}
	return float64(l.limit.Load()) / float64(rtt)
}

// queueBound returns how many waiters served before a request of class c
// (those of its class and higher) the queue lets it join: as many as are
// served within its allowance, or, for Default while the queue stands,
// within a third of QueueTarget: completions come unevenly, and a waiter
// refused after waiting is worse than one refused at once (TestSimOverload:
// with half, 1.6% of the refusals at 2× came after a wait of QueueTarget,
// enough to put the refusals' p99 at QueueTarget; with a third, 0.4%, and
// goodput the same). Sheddable gets half of Default's room. At least one,
// at most MaxQueue.
func (l *Limiter) queueBound(c Class, standing bool) int {
	thr := l.throughput()
	if thr == 0 {
		return l.cfg.MaxQueue
	}
	within := float64(l.allowance(c, standing))
	if standing && c == Default {
		within /= 3
	}
	if c == Sheddable {
		within /= 2
	}
	b := math.Floor(thr * within)
	return int(min(max(b, 1), float64(l.cfg.MaxQueue)))
}

// ahead returns the number of waiters served before a new waiter of
// class c: those of its class and of higher ones.
func (l *Limiter) ahead(c Class) int {
	n := 0
	for _, v := range classOrder {
		if v.rank() < c.rank() {
			break
		}
		n += l.q[v].n
	}
	return n
}

// acquireSlow is Acquire when no slot was free at once, or others wait.
func (l *Limiter) acquireSlow(ctx context.Context, c Class, now, deadline int64) (Permit, error) {
	l.mu.Lock()
	now = max(now, l.nanos()) // the lock may have been long in coming
	if l.total() == 0 {
		if n, ok := l.tryTake(); ok {
			l.mu.Unlock()
			l.admitted[c].Add(1)
			return l.permit(now, n), nil
		}
	}
	if ctx.Err() != nil {
		l.mu.Unlock()
		return Permit{}, l.reject(ReasonCanceled, c, 0)
	}
	if l.cfg.NoQueue {
		l.refusedForLoad(now)
		l.mu.Unlock()
		return Permit{}, l.reject(ReasonLimit, c, 0)
	}
	standing := l.standingLocked(now)
	if r, refuse := l.admitToQueueLocked(c, standing, now, deadline); refuse {
		if r == ReasonLimit {
			l.refusedForLoad(now)
		}
		l.mu.Unlock()
		return Permit{}, l.reject(r, c, 0)
	}
	w := l.pool.Get().(*waiter)
	w.class, w.enq, w.deadline, w.queued = c, now, deadline, true
	w.allow = l.allowance(c, standing)
	if l.total() == 0 {
		l.qs.lastGood = now
	}
	l.q[c].push(w)
	l.queued[c].Add(1)
	l.waiting.Add(1)
	l.dispatchLocked(now)
	l.mu.Unlock()
	return l.wait(ctx, w)
}

// admitToQueueLocked decides whether a request of class c may join the
// queue, making room by refusing a lower class's oldest waiter if the
// queue is full; it returns the reason to refuse it otherwise.
func (l *Limiter) admitToQueueLocked(c Class, standing bool, now, deadline int64) (Reason, bool) {
	if c == Sheddable && standing {
		return ReasonLimit, true
	}
	ahead := l.ahead(c)
	if deadline != 0 {
		// It will wait for the waiters served before it, then run.
		wait := 0.0
		if thr := l.throughput(); thr > 0 {
			wait = float64(ahead+1) / thr
		}
		if float64(deadline-now) < wait+float64(l.rttEst.Load()) {
			return ReasonDeadline, true
		}
	}
	if ahead >= l.queueBound(c, standing) {
		return ReasonLimit, true
	}
	// A static limit knows when its slots free up: a waiter that would
	// not get one within half its allowance (service times vary, and a
	// slot that frees as the allowance ends may come just after it) is
	// refused now, not when the allowance ends (see admissions).
	if standing && c == Default && l.admissions != nil {
		if free, ok := l.admissions.nextFree(ahead, l.inflight.Load(), l.rttEst.Load()); ok && free-now > l.allowance(c, standing)/2 {
			return ReasonLimit, true
		}
	}
	if l.total() < l.cfg.MaxQueue && l.total() < l.queueBound(Default, standing) {
		return 0, false
	}
	// Full: the lowest class's oldest waiter makes room, if it is lower.
	for i := NumClasses - 1; i >= 0; i-- {
		v := classOrder[i]
		if v.rank() >= c.rank() {
			break
		}
		if w := l.q[v].head; w != nil {
			l.refuseLocked(w, ReasonLimit, now)
			return 0, false
		}
	}
	if l.total() >= l.cfg.MaxQueue {
		return ReasonLimit, true
	}
	return 0, false
}

// refuseLocked takes w out of the queue and answers it with a refusal.
func (l *Limiter) refuseLocked(w *waiter, r Reason, now int64) {
	if r != ReasonDeadline {
		l.refusedForLoad(now)
	}
	l.unqueueLocked(w)
	w.ch <- grant{reason: r, at: now}
}

// unqueueLocked takes w out of the queue.
func (l *Limiter) unqueueLocked(w *waiter) {
	l.q[w.class].remove(w)
	w.queued = false
	l.queued[w.class].Add(-1)
	l.waiting.Add(-1)
}

// dispatchLocked refuses the waiters that have outgrown their allowance or
// can no longer meet their deadline, then hands free slots to waiters:
// the highest class first, within a class the oldest first, or the newest
// first while the queue stands if adaptive LIFO is on (a test-only option:
// measured, it did not pay).
func (l *Limiter) dispatchLocked(now int64) {
	standing := l.standingLocked(now)
	rtt := l.rttEst.Load()
	for _, c := range classOrder {
		// Heads past their allowance; one behind a head with a longer
		// allowance is refused by its own timer (wait).
		for w := l.q[c].head; w != nil && now-w.enq > w.allow; w = l.q[c].head {
			l.refuseLocked(w, ReasonQueueDelay, now)
		}
	}
	for {
		var w *waiter
		for _, c := range classOrder {
			if standing && l.lifo {
				w = l.q[c].tail
			} else {
				w = l.q[c].head
			}
			if w != nil {
				break
			}
		}
		if w == nil {
			break
		}
		if w.deadline != 0 && w.deadline-now < max(rtt, 1) {
			l.refuseLocked(w, ReasonDeadline, now)
			continue
		}
		n, ok := l.tryTake()
		if !ok {
			break
		}
		l.unqueueLocked(w)
		w.ch <- grant{ok: true, at: now, n: n}
	}
	oldest := l.oldestLocked()
	if !l.qs.standing && (oldest < 0 || now-oldest <= int64(l.cfg.QueueTarget)) {
		l.qs.lastGood = now
	}
	l.oldestEnq.Store(oldest)
}

// wait waits for w's answer, its allowance or deadline, or ctx's end.
func (l *Limiter) wait(ctx context.Context, w *waiter) (Permit, error) {
	c := w.class
	for {
		l.mu.Lock()
		var g grant
		var answered bool
		if !w.queued {
			g, answered = <-w.ch, true
		}
		var d int64
		if !answered {
			d = l.expiry(w) - l.nanos()
		}
		l.mu.Unlock()
		if answered {
			return l.answer(w, g)
		}
		if d <= 0 {
			d = 1
		}
		if w.timer == nil {
			w.timer = time.NewTimer(time.Duration(d))
		} else {
			w.timer.Reset(time.Duration(d))
		}
		select {
		case g := <-w.ch:
			w.timer.Stop()
			return l.answer(w, g)
		case <-ctx.Done():
			w.timer.Stop()
			l.mu.Lock()
			if w.queued {
				l.unqueueLocked(w)
				now := l.nanos()
				l.dispatchLocked(now)
				l.mu.Unlock()
				waited := now - w.enq
				l.pool.Put(w)
				return Permit{}, l.reject(ReasonCanceled, c, waited)
			}
			l.mu.Unlock()
			g := <-w.ch
			if g.ok {
				l.giveBack()
				waited := g.at - w.enq
				l.pool.Put(w)
				return Permit{}, l.reject(ReasonCanceled, c, waited)
			}
			return l.answer(w, g)
		case <-w.timer.C:
			l.mu.Lock()
			if w.queued {
				now := l.nanos()
				if now >= l.expiry(w) {
					r := ReasonQueueDelay
					if w.deadline != 0 && w.deadline-l.rttEst.Load() <= now {
						r = ReasonDeadline
					}
					if r == ReasonQueueDelay {
						l.refusedForLoad(now)
					}
					l.unqueueLocked(w)
					l.dispatchLocked(now)
					l.mu.Unlock()
					waited := now - w.enq
					l.pool.Put(w)
					return Permit{}, l.reject(r, c, waited)
				}
			}
			l.mu.Unlock()
			// Answered meanwhile, or a new service-time estimate moved
			// the deadline's part of the expiry: go round.
		}
	}
}

// expiry returns when w must leave the queue unserved: at the end of its
// allowance, or when the time left before its deadline falls under the
// service time. Called with l.mu held.
func (l *Limiter) expiry(w *waiter) int64 {
	e := w.enq + w.allow
	if w.deadline != 0 {
		e = min(e, w.deadline-l.rttEst.Load())
	}
	return e
}

// answer turns a waiter's grant into Acquire's result and recycles it.
func (l *Limiter) answer(w *waiter, g grant) (Permit, error) {
	c, waited := w.class, g.at-w.enq
	l.pool.Put(w)
	if !g.ok {
		return Permit{}, l.reject(g.reason, c, waited)
	}
	l.admitted[c].Add(1)
	return l.permit(g.at, g.n), nil
}
