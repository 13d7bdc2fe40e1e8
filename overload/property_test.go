package overload

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"
)

// op is one request of a property run.
type op struct {
	gap      time.Duration // before it, on its goroutine
	class    Class
	hold     time.Duration // work, if admitted
	end      outcome       // how the permit ends
	cancel   time.Duration // the context is canceled after this, if > 0
	deadline time.Duration // the context's timeout, if > 0
}

func drawOp(t *rapid.T) op {
	ms := func(name string, lo, hi int) time.Duration {
		return time.Duration(rapid.IntRange(lo, hi).Draw(t, name)) * time.Millisecond
	}
	return op{
		gap:      ms("gap", 0, 10),
		class:    Class(rapid.IntRange(0, NumClasses).Draw(t, "class")), // NumClasses: an unknown class
		hold:     ms("hold", 0, 30),
		end:      outcome(rapid.IntRange(0, 2).Draw(t, "end")),
		cancel:   ms("cancel", 0, 20),
		deadline: ms("deadline", 0, 60),
	}
}

// TestPropertyEveryAcquireEnds: random requests (classes, work, Release,
// Drop or Ignore, cancellations, deadlines) from many goroutines, in fake
// time: every Acquire returns exactly once; no admission ever takes the
// in-flight count over the limit of that moment, nor the limit outside
// [MinLimit, MaxLimit]; the counters add up (admitted + refused =
// attempts, by class and reason as the callers saw them); a refusal is
// canceled only for a canceled context and for its deadline only with
// one; Stats, read all along, never shows more in flight than MaxLimit
// nor more queued than MaxQueue; and at the end nothing is in flight or
// queued.
func TestPropertyEveryAcquireEnds(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		minL := rapid.IntRange(1, 3).Draw(rt, "min")
		target := time.Duration(rapid.IntRange(1, 10).Draw(rt, "target")) * time.Millisecond
		cfg := Config{
			MinLimit:      minL,
			MaxLimit:      minL + rapid.IntRange(0, 5).Draw(rt, "span"),
			MaxQueue:      rapid.IntRange(1, 6).Draw(rt, "queue"),
			QueueTarget:   target,
			QueueInterval: target * time.Duration(rapid.IntRange(1, 5).Draw(rt, "interval")),
			ProbeInterval: time.Duration(rapid.IntRange(50, 500).Draw(rt, "probe")) * time.Millisecond,
			Smoothing:     float64(rapid.IntRange(1, 10).Draw(rt, "smoothing")) / 10,
		}
		cfg.InitialLimit = cfg.MinLimit + rapid.IntRange(0, cfg.MaxLimit-cfg.MinLimit).Draw(rt, "initial")
		g := rapid.IntRange(1, 12).Draw(rt, "goroutines")
		plans := make([][]op, g)
		for i := range plans {
			n := rapid.IntRange(1, 8).Draw(rt, "ops")
			for range n {
				plans[i] = append(plans[i], drawOp(rt))
			}
		}

		// The run is in fake time; rapid's T is for this goroutine only,
		// so the bubble reports what it found in failure.
		var failure string
		synctest.Test(t, func(t *testing.T) { failure = runPlans(cfg, plans) })
		if failure != "" {
			rt.Fatalf("config %+v: %s", cfg, failure)
		}
	})
}

// runPlans runs each plan on a goroutine of its own against a new limiter
// and returns what went wrong, if anything.
func runPlans(cfg Config, plans [][]op) string {
	l, err := New(cfg)
	if err != nil {
		return err.Error()
	}
	var over atomic.Value // first violation seen by the hook
	l.onAdmit = func(n, lim int64) {
		if n > lim || lim < int64(cfg.MinLimit) || lim > int64(cfg.MaxLimit) {
			over.CompareAndSwap(nil, [2]int64{n, lim})
		}
	}
	var (
		mu       sync.Mutex
		attempts int
		admitted [NumClasses]uint64
		rejected [NumReasons][NumClasses]uint64
		problems []string
		wg       sync.WaitGroup
	)
	// Stats is read all along, as a metrics scrape would.
	stop := make(chan struct{})
	var monitor sync.WaitGroup
	monitor.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			s := l.Stats()
			if s.InFlight > cfg.MaxLimit || s.QueuedTotal() > cfg.MaxQueue || s.InFlight < 0 {
				mu.Lock()
				problems = append(problems, fmt.Sprintf("Stats: %d in flight (max limit %d), %d queued (max %d)", s.InFlight, cfg.MaxLimit, s.QueuedTotal(), cfg.MaxQueue))
				mu.Unlock()
			}
		}
	})
	for _, plan := range plans {
		wg.Go(func() {
			for _, o := range plan {
				time.Sleep(o.gap)
				ctx, stop := context.Background(), func() {}
				if o.deadline > 0 {
					ctx, stop = context.WithTimeout(ctx, o.deadline)
				}
				var timer *time.Timer
				if o.cancel > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(ctx)
					timer = time.AfterFunc(o.cancel, cancel)
				}
				returns := 0
				p, err := l.Acquire(ctx, o.class)
				returns++
				mu.Lock()
				attempts++
				c := o.class.norm()
				var rej *Rejection
				switch {
				case err == nil:
					admitted[c]++
				case errors.As(err, &rej):
					rejected[rej.Reason][rej.Class]++
					if rej.Class != c {
						problems = append(problems, "refusal names class "+rej.Class.String()+", asked "+c.String())
					}
					if rej.Reason == ReasonCanceled && ctx.Err() == nil {
						problems = append(problems, "canceled refusal of a live context")
					}
					if rej.Reason == ReasonDeadline && o.deadline == 0 {
						problems = append(problems, "deadline refusal without a deadline")
					}
					if rej.RetryAfter < time.Second || rej.RetryAfter > cfg.MaxRetryAfter && cfg.MaxRetryAfter > 0 {
						problems = append(problems, "RetryAfter "+rej.RetryAfter.String()+" out of range")
					}
				default:
					problems = append(problems, "error not a *Rejection: "+err.Error())
				}
				mu.Unlock()
				if err == nil {
					time.Sleep(o.hold)
					switch o.end {
					case outcomeSample:
						p.Release()
					case outcomeDrop:
						p.Drop()
					default:
						p.Ignore()
					}
				}
				if timer != nil {
					timer.Stop()
				}
				stop()
				if returns != 1 {
					mu.Lock()
					problems = append(problems, "Acquire returned more than once")
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	monitor.Wait()
	if v := over.Load(); v != nil {
		return fmt.Sprintf("admission at in-flight %d with limit %d", v.([2]int64)[0], v.([2]int64)[1])
	}
	if len(problems) > 0 {
		return fmt.Sprintf("%d problems, first: %s", len(problems), problems[0])
	}
	total := 0
	for _, p := range plans {
		total += len(p)
	}
	if attempts != total {
		return fmt.Sprintf("%d Acquire calls returned, %d made", attempts, total)
	}
	s := l.Stats()
	if s.InFlight != 0 || s.QueuedTotal() != 0 {
		return fmt.Sprintf("at the end: %d in flight, %d queued", s.InFlight, s.QueuedTotal())
	}
	if s.AdmittedTotal()+s.RejectedTotal() != uint64(attempts) {
		return fmt.Sprintf("admitted %d + refused %d != %d attempts", s.AdmittedTotal(), s.RejectedTotal(), attempts)
	}
	if s.Admitted != admitted || s.Rejected != rejected {
		return fmt.Sprintf("Stats counters %v / %v, callers saw %v / %v", s.Admitted, s.Rejected, admitted, rejected)
	}
	if s.Limit < cfg.MinLimit || s.Limit > cfg.MaxLimit {
		return fmt.Sprintf("limit %d outside [%d, %d]", s.Limit, cfg.MinLimit, cfg.MaxLimit)
	}
	return ""
}
