package jobs

import (
	"time"

	"go.uber.org/zap"
)

// Retention is how long finished jobs stay in the store before the runner
// deletes them, with their errors and idempotency keys: the store of a
// busy server would otherwise grow without end, and the live page's counts
// and the claims that share SQLite's one writer slow with it. The defaults
// are River's: a day for jobs that succeeded or were cancelled, a week for
// dead ones (the dead-letter queue). A job's idempotency key holds as long
// as the job is kept: a key used again after its job was pruned makes a new
// job.
type Retention struct {
	// Done is how long a succeeded or cancelled job is kept after it
	// finished. Defaults to 24h; negative keeps them all.
	Done time.Duration
	// Dead is how long a dead job is kept after it died. Defaults to 7
	// days; negative keeps them all.
	Dead time.Duration
	// Every is how often the runner prunes. Defaults to a minute.
	Every time.Duration
}

// Retention's defaults.
const (
	DefaultRetentionDone  = 24 * time.Hour
	DefaultRetentionDead  = 7 * 24 * time.Hour
	DefaultRetentionEvery = time.Minute
)

// pruneBatch is how many jobs one Prune call deletes at most: one short
// transaction each, so that enqueues and claims are never held up for
// long behind a large backlog.
const pruneBatch = 500

// WithRetention sets how long finished jobs are kept (see Retention).
func WithRetention(ret Retention) Option {
	return optionFunc(func(r *Runner) { r.retention = ret })
}

func (ret Retention) withDefaults() Retention {
	if ret.Done == 0 {
		ret.Done = DefaultRetentionDone
	}
	if ret.Dead == 0 {
		ret.Dead = DefaultRetentionDead
	}
	if ret.Every <= 0 {
		ret.Every = DefaultRetentionEvery
	}
	return ret
}

// pruneLoop deletes the jobs past their retention every Retention.Every,
// until the runner stops.
func (r *Runner) pruneLoop() {
	ret := r.retention
	if ret.Done < 0 && ret.Dead < 0 {
		return
	}
	wake := make(chan struct{}, 1)
	for {
		r.prune(ret)
		t := r.clock.AfterFunc(ret.Every, func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
		select {
		case <-r.stop:
			t.Stop()
			return
		case <-wake:
		}
	}
}

// prune deletes, in batches, the jobs past their retention at the clock's
// now; it gives up at the first error (the next round tries again) or when
// the runner stops.
func (r *Runner) prune(ret Retention) {
	now := r.clock.Now()
	var done, dead time.Time
	if ret.Done >= 0 {
		done = now.Add(-ret.Done)
	}
	if ret.Dead >= 0 {
		dead = now.Add(-ret.Dead)
	}
	for {
		n, err := r.store.Prune(r.base, done, dead, pruneBatch)
		if err != nil {
			if r.base.Err() == nil {
				r.log.Warn("pruning finished jobs", zap.Error(err))
			}
			return
		}
		if n > 0 {
			r.log.Debug("pruned finished jobs", zap.Int("jobs", n))
		}
		if n < pruneBatch {
			return
		}
		select {
		case <-r.stop:
			return
		default:
		}
	}
}
