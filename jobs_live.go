package troupe

import (
	"context"
	"strconv"
	"sync"
	"time"

	livepage "github.com/troupe-go/troupe/internal/live"
	"github.com/troupe-go/troupe/jobs"
)

// liveDeadShown is how many dead jobs the live page lists: the oldest,
// as GET /jobs/dead has them; each queue's count says how many there are.
const liveDeadShown = 50

// liveJobsTimeout bounds the store's answer for one snapshot: a store that
// does not answer leaves the page with an error, not a stalled stream.
const liveJobsTimeout = 2 * time.Second

// liveJobs reads the live page's jobs part from the store, at most once
// per half interval whatever the number of open pages: each read is two
// queries (a count by queue and state, the oldest dead jobs with their
// errors), which on SQLite wait for the one connection the runner's
// claims use too.
type liveJobs struct {
	mu   sync.Mutex // held while reading: concurrent snapshots share one read
	at   time.Time
	last livepage.Jobs
}

// snapshot returns the jobs part of the live page for runner r (nil: the
// app has no queues).
func (l *liveJobs) snapshot(r *jobs.Runner) livepage.Jobs {
	out := livepage.Jobs{Queues: []livepage.JobQueue{}, Dead: []livepage.DeadJob{}, DeadShown: liveDeadShown}
	if r == nil {
		return out
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.at.IsZero() && time.Since(l.at) < livepage.Interval/2 {
		return l.last
	}
	ctx, cancel := context.WithTimeout(context.Background(), liveJobsTimeout)
	defer cancel()
	counts, err := r.Store().Counts(ctx)
	var dead []jobs.Job
	if err == nil {
		dead, err = r.Store().Dead(ctx, "", liveDeadShown)
	}
	if err != nil {
		out.Error = "reading the job store: " + err.Error()
	}
	for _, u := range r.Usage() {
		c := counts[u.Name]
		out.Queues = append(out.Queues, livepage.JobQueue{Name: u.Name, Queued: c.Queued, Running: c.Running,
			Succeeded: c.Succeeded, Dead: c.Dead, Cancelled: c.Cancelled, Concurrency: u.Concurrency, InUse: u.Busy})
	}
	for _, j := range dead {
		d := livepage.DeadJob{ID: j.ID, Queue: j.Queue, Attempts: j.Attempt, DiedAt: j.UpdatedAt,
			Replay: "/jobs/" + strconv.FormatInt(j.ID, 10) + "/replay"}
		if n := len(j.Errors); n > 0 {
			d.LastError = j.Errors[n-1].Error
		}
		out.Dead = append(out.Dead, d)
	}
	l.at, l.last = time.Now(), out
	return out
}
