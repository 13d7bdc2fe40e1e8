package jobs

import (
	"context"
	"sync/atomic"

	"go.uber.org/zap"
)

// queue is one queue's loop: it claims due jobs while it has free slots,
// and starts an attempt for each.
type queue struct {
	r    *Runner
	cfg  Queue
	busy atomic.Int32 // attempts running
	// wake holds at most one pending signal (size 1, sent without
	// blocking): an enqueue here, a freed slot or a poll tick. Signals that
	// find it full are merged into the pending one, which is all the loop
	// needs: it claims whatever is due when it wakes.
	wake chan struct{}
}

func newQueue(r *Runner, cfg Queue) *queue {
	return &queue{r: r, cfg: cfg, wake: make(chan struct{}, 1)}
}

// poke wakes the loop without blocking.
func (q *queue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// loop runs until the runner stops.
func (q *queue) loop() {
	for {
		if free := q.cfg.Concurrency - int(q.busy.Load()); free > 0 {
			q.claim(free)
		}
		t := q.r.clock.AfterFunc(q.cfg.Poll, q.poke)
		select {
		case <-q.r.stop:
			t.Stop()
			return
		case <-q.wake:
			t.Stop()
		}
	}
}

// claim claims up to free jobs and starts their attempts.
func (q *queue) claim(free int) {
	js, err := q.r.store.Claim(context.Background(), q.cfg.Name, free, q.r.clock.Now(), q.cfg.Lease)
	if err != nil {
		q.r.log.Error("claiming jobs", zap.String("queue", q.cfg.Name), zap.Error(err))
		return
	}
	for _, j := range js {
		q.busy.Add(1)
		q.r.workers.Go(func() {
			defer func() {
				q.busy.Add(-1)
				q.poke()
			}()
			q.attempt(j)
		})
	}
}
