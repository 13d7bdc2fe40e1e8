package overload

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fixed returns a limiter whose limit is n whatever it measures.
func fixed(t *testing.T, n int, cfg Config, opts ...Option) *Limiter {
	t.Helper()
	cfg.MinLimit, cfg.MaxLimit, cfg.InitialLimit = n, n, n
	l, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// outcome of one request in a queue test.
type result struct {
	arrived time.Duration
	waited  time.Duration
	err     error
}

// serve makes a request that, if admitted, works for svc; it returns how
// long Acquire took and its error.
func serve(l *Limiter, ctx context.Context, c Class, svc time.Duration) (time.Duration, error) {
	start := time.Now()
	p, err := l.Acquire(ctx, c)
	waited := time.Since(start)
	if err != nil {
		return waited, err
	}
	time.Sleep(svc)
	p.Release()
	return waited, nil
}

func reasonOf(err error) (Reason, bool) {
	var r *Rejection
	if errors.As(err, &r) {
		return r.Reason, true
	}
	return 0, false
}

// TestQueueStandingRefusesAfterTarget: one slot, 10 ms of work, a request
// every 5 ms (2× overload) for a second. The queue absorbs the first
// QueueInterval (waits over QueueTarget are served); once it has stood
// for QueueInterval, nobody admitted waits longer than QueueTarget, and
// the excess is refused, at admission or after at most QueueTarget.
func TestQueueStandingRefusesAfterTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{QueueTarget: 5 * time.Millisecond, QueueInterval: 100 * time.Millisecond}
		l := fixed(t, 1, cfg)
		start := time.Now()
		var (
			mu  sync.Mutex
			res []result
			wg  sync.WaitGroup
		)
		standingSeen := false
		for i := range 200 {
			wg.Go(func() {
				at := time.Since(start)
				w, err := serve(l, context.Background(), Default, 10*time.Millisecond)
				mu.Lock()
				res = append(res, result{arrived: at, waited: w, err: err})
				mu.Unlock()
			})
			time.Sleep(5 * time.Millisecond)
			if i == 100 {
				standingSeen = l.Stats().Standing
			}
		}
		wg.Wait()
		if !standingSeen {
			t.Error("Stats().Standing false at 500 ms of 2× overload")
		}
		var longEarly, admittedLate, refusedAtOnce, refusedAfterWait int
		for _, r := range res {
			reason, refused := reasonOf(r.err)
			switch {
			case !refused && r.arrived < 100*time.Millisecond && r.waited > cfg.QueueTarget:
				longEarly++
			case !refused && r.arrived >= 300*time.Millisecond:
				admittedLate++
				if r.waited > cfg.QueueTarget {
					t.Errorf("request at %v admitted after waiting %v, over the target %v of a standing queue", r.arrived, r.waited, cfg.QueueTarget)
				}
			case refused && r.waited == 0:
				refusedAtOnce++
				if reason != ReasonLimit {
					t.Errorf("request at %v refused at once for %v, want %v", r.arrived, reason, ReasonLimit)
				}
			case refused:
				refusedAfterWait++
				if reason != ReasonQueueDelay {
					t.Errorf("request at %v refused after %v for %v, want %v", r.arrived, r.waited, reason, ReasonQueueDelay)
				}
				if r.arrived >= 300*time.Millisecond && r.waited > cfg.QueueTarget {
					t.Errorf("request at %v refused after %v in a standing queue, want ≤ %v", r.arrived, r.waited, cfg.QueueTarget)
				}
			}
		}
		t.Logf("served after waiting > target in the first interval: %d; admitted from 300 ms: %d; refused at once: %d, after a wait: %d",
			longEarly, admittedLate, refusedAtOnce, refusedAfterWait)
		if longEarly == 0 {
			t.Error("no request of the first 100 ms was served after waiting over the target: the queue did not absorb the start")
		}
		if admittedLate < 60 || refusedAtOnce == 0 {
			t.Errorf("from 300 ms: %d admitted, want ≥ 60 (the slot stays busy); %d refused at once, want some", admittedLate, refusedAtOnce)
		}
		if s := l.Stats(); s.InFlight != 0 || s.QueuedTotal() != 0 {
			t.Errorf("at the end: %d in flight, %d queued", s.InFlight, s.QueuedTotal())
		}
		time.Sleep(cfg.QueueInterval + time.Millisecond)
		if l.Stats().Standing {
			t.Error("still standing a QueueInterval after the load stopped")
		}
	})
}

// TestQueueBurstDrains: a burst that drains within QueueInterval is served
// in full, however long its last request waits; one that does not is cut
// once the queue has stood for QueueInterval.
func TestQueueBurstDrains(t *testing.T) {
	for _, tc := range []struct {
		burst       int
		wantRefused bool
	}{
		{24, false}, // 6 rounds of 4 × 10 ms: drained at 60 ms
		{60, true},  // 15 rounds: would take 150 ms
	} {
		synctest.Test(t, func(t *testing.T) {
			l := fixed(t, 4, Config{})
			var wg sync.WaitGroup
			var mu sync.Mutex
			var refused int
			var longest time.Duration
			for range tc.burst {
				wg.Go(func() {
					w, err := serve(l, context.Background(), Default, 10*time.Millisecond)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						refused++
						return
					}
					longest = max(longest, w)
				})
			}
			wg.Wait()
			t.Logf("burst of %d: %d refused, longest wait of the served %v", tc.burst, refused, longest)
			if (refused > 0) != tc.wantRefused {
				t.Errorf("burst of %d: %d refused, want refusals: %v", tc.burst, refused, tc.wantRefused)
			}
			if !tc.wantRefused && longest != 50*time.Millisecond {
				t.Errorf("burst of %d: the last served waited %v, want 50ms (5 rounds)", tc.burst, longest)
			}
		})
	}
}

// warmRTT runs sequential 10 ms requests through l until it has measured
// a service time.
func warmRTT(t *testing.T, l *Limiter) {
	t.Helper()
	for l.Stats().RTT == 0 || l.Stats().Probing {
		if _, err := serve(l, context.Background(), Default, 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
}

// TestQueueDeadlineWhileWaiting: a waiter is refused for its deadline the
// moment the time left falls under the service time (10 ms), 30 ms into a
// 40 ms deadline, before its context ends, and is never started.
func TestQueueDeadlineWhileWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := fixed(t, 1, Config{})
		warmRTT(t, l)
		if rtt := l.Stats().RTT; rtt != 10*time.Millisecond {
			t.Fatalf("RTT %v after sequential 10 ms requests", rtt)
		}
		holder, err := l.Acquire(context.Background(), Default)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Millisecond)
		defer cancel()
		before := l.Stats().AdmittedTotal()
		_, err = l.Acquire(ctx, Default)
		var rej *Rejection
		if !errors.As(err, &rej) || rej.Reason != ReasonDeadline {
			t.Fatalf("waiter past what its deadline allows: %v, want a deadline refusal", err)
		}
		if rej.Waited != 30*time.Millisecond || ctx.Err() != nil {
			t.Errorf("refused after %v with ctx.Err %v; want after 30ms, before the deadline", rej.Waited, ctx.Err())
		}
		if got := l.Stats().AdmittedTotal(); got != before {
			t.Errorf("admitted %d, was %d: the waiter was started", got, before)
		}
		// And a request that cannot make it even to the head of the
		// queue is refused at once.
		ctx2, cancel2 := context.WithTimeout(context.Background(), 15*time.Millisecond)
		defer cancel2()
		_, err = l.Acquire(ctx2, Default)
		if !errors.As(err, &rej) || rej.Reason != ReasonDeadline || rej.Waited != 0 {
			t.Errorf("15 ms left behind a 10 ms request for a 10 ms service: %v, want an immediate deadline refusal", err)
		}
		holder.Release()
	})
}

// TestQueueCancelWhileWaiting: a waiter whose context ends is answered at
// once with ReasonCanceled and leaves no slot or place taken.
func TestQueueCancelWhileWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := fixed(t, 1, Config{})
		holder, err := l.Acquire(context.Background(), Default)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := l.Acquire(ctx, Critical)
			done <- err
		}()
		synctest.Wait()
		if q := l.Stats().Queued[Critical]; q != 1 {
			t.Fatalf("queued critical = %d, want 1", q)
		}
		time.Sleep(7 * time.Millisecond)
		cancel()
		err = <-done
		var rej *Rejection
		if !errors.As(err, &rej) || rej.Reason != ReasonCanceled || rej.Class != Critical || rej.Waited != 7*time.Millisecond {
			t.Fatalf("canceled waiter: %v, want canceled critical after 7ms", err)
		}
		if !errors.Is(err, context.Canceled) {
			t.Error("a canceled refusal does not unwrap to context.Canceled")
		}
		if s := l.Stats(); s.QueuedTotal() != 0 || s.InFlight != 1 {
			t.Errorf("after the cancel: %d queued, %d in flight; want 0, 1 (the holder)", s.QueuedTotal(), s.InFlight)
		}
		holder.Release()
		holder.Release() // a second end of the same permit is a no-op
		if s := l.Stats(); s.InFlight != 0 {
			t.Fatalf("in flight %d after the holder left, want 0", s.InFlight)
		}
		p, err := l.Acquire(context.Background(), Default)
		if err != nil {
			t.Fatalf("the one slot is not free again: %v", err)
		}
		p.Release()
	})
}

// TestQueuePriorities: with the slot held and a queue of two Default
// waiters (full), Sheddable is refused at once; Critical takes the place
// of the oldest Default waiter, which is refused; another Default is
// refused; and the freed slot goes to Critical before the Default left.
func TestQueuePriorities(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := fixed(t, 1, Config{MaxQueue: 2})
		holder, err := l.Acquire(context.Background(), Default)
		if err != nil {
			t.Fatal(err)
		}
		type answer struct {
			name string
			err  error
			at   time.Time
		}
		answers := make(chan answer, 8)
		var wg sync.WaitGroup
		defer wg.Wait()
		wait := func(name string, c Class) {
			wg.Go(func() {
				p, err := l.Acquire(context.Background(), c)
				answers <- answer{name, err, time.Now()}
				if err == nil {
					time.Sleep(time.Millisecond)
					p.Release()
				}
			})
			synctest.Wait()
		}
		wait("d1", Default)
		time.Sleep(time.Millisecond)
		wait("d2", Default)
		if _, err := l.Acquire(context.Background(), Sheddable); !isReason(err, ReasonLimit) {
			t.Errorf("sheddable with the queue full: %v, want refused (limit)", err)
		}
		wait("c1", Critical)
		if a := <-answers; a.name != "d1" || !isReason(a.err, ReasonLimit) || a.err.(*Rejection).Waited != time.Millisecond {
			t.Errorf("first answer %s %v, want d1 refused (limit) after 1ms, its place taken by critical", a.name, a.err)
		}
		if _, err := l.Acquire(context.Background(), Default); !isReason(err, ReasonLimit) {
			t.Errorf("default behind a full queue of critical and default: %v, want refused (limit)", err)
		}
		holder.Release()
		first, second := <-answers, <-answers
		if first.name != "c1" || first.err != nil || second.name != "d2" || second.err != nil {
			t.Errorf("after the release: %s %v then %s %v; want c1 then d2 admitted", first.name, first.err, second.name, second.err)
		}
		s := l.Stats()
		if s.Rejected[ReasonLimit][Sheddable] != 1 || s.Rejected[ReasonLimit][Default] != 2 || s.Rejected[ReasonLimit][Critical] != 0 {
			t.Errorf("refusals: sheddable %d default %d critical %d, want 1, 2, 0",
				s.Rejected[ReasonLimit][Sheddable], s.Rejected[ReasonLimit][Default], s.Rejected[ReasonLimit][Critical])
		}
	})
}

func isReason(err error, r Reason) bool {
	got, ok := reasonOf(err)
	return ok && got == r
}

// TestQueueLIFO: with adaptive LIFO on (the comparison's switch; off by
// default), a standing queue serves its newest waiter first.
func TestQueueLIFO(t *testing.T) {
	for _, lifo := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			l := fixed(t, 1, Config{}, withLIFO(lifo))
			holder, err := l.Acquire(context.Background(), Default)
			if err != nil {
				t.Fatal(err)
			}
			l.mu.Lock()
			l.qs.standing, l.qs.lastRefusal = true, l.nanos()
			l.mu.Unlock()
			order := make(chan int, 3)
			for i := range 3 {
				go func() {
					p, err := l.Acquire(context.Background(), Critical)
					if err != nil {
						t.Error(err)
						return
					}
					order <- i
					p.Release()
				}()
				synctest.Wait()
			}
			holder.Release()
			got := []int{<-order, <-order, <-order}
			want := []int{0, 1, 2}
			if lifo {
				want = []int{2, 1, 0}
			}
			if got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
				t.Errorf("lifo %v: served %v, want %v", lifo, got, want)
			}
		})
	}
}
