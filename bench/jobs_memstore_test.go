package bench

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/troupe-go/troupe/jobs"
)

// memStore is a jobs.Store in memory, just enough for the jobs
// benchmarks: enqueue, claim in order, complete. It stands in for a
// database so that what a benchmark measures is the consumers' own cost
// per job. Failing, killing and the admin methods are not supported.
type memStore struct {
	mu     sync.Mutex
	nextID int64
	queued map[string][]jobs.Job
}

var _ jobs.Store = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{queued: map[string][]jobs.Job{}} }

var errMemStore = errors.New("memStore: not supported")

func (s *memStore) Enqueue(_ context.Context, n jobs.NewJob, now time.Time) (jobs.Job, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	j := jobs.Job{ID: s.nextID, Queue: n.Queue, Payload: n.Payload, State: jobs.Queued,
		MaxAttempts: n.MaxAttempts, RunAt: now, CreatedAt: now, UpdatedAt: now}
	if j.MaxAttempts == 0 {
		j.MaxAttempts = jobs.DefaultMaxAttempts
	}
	s.queued[n.Queue] = append(s.queued[n.Queue], j)
	return j, true, nil
}

func (s *memStore) Claim(_ context.Context, queue string, limit int, now time.Time, lease time.Duration) ([]jobs.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queued[queue]
	n := min(limit, len(q))
	if n == 0 {
		return nil, nil
	}
	out := make([]jobs.Job, n)
	copy(out, q[:n])
	s.queued[queue] = q[n:]
	for i := range out {
		out[i].State, out[i].Attempt, out[i].LeaseUntil = jobs.Running, out[i].Attempt+1, now.Add(lease)
	}
	return out, nil
}

func (s *memStore) Heartbeat(context.Context, jobs.Lease, time.Time) error        { return nil }
func (s *memStore) Complete(context.Context, jobs.Lease, []byte, time.Time) error { return nil }
func (s *memStore) Fail(context.Context, jobs.Lease, string, time.Time, time.Time) error {
	return errMemStore
}
func (s *memStore) Kill(context.Context, jobs.Lease, string, time.Time) error { return errMemStore }
func (s *memStore) Release(context.Context, jobs.Lease, time.Time) error      { return nil }
func (s *memStore) Cancel(context.Context, int64, time.Time) (jobs.Job, error) {
	return jobs.Job{}, errMemStore
}
func (s *memStore) Get(context.Context, int64) (jobs.Job, error) { return jobs.Job{}, errMemStore }
func (s *memStore) Dead(context.Context, string, int) ([]jobs.Job, error) {
	return nil, errMemStore
}
func (s *memStore) Replay(context.Context, int64, time.Time) (jobs.Job, error) {
	return jobs.Job{}, errMemStore
}
func (s *memStore) Counts(context.Context) (map[string]jobs.Counts, error) {
	return nil, errMemStore
}

// Prune has nothing to delete: a completed job is not kept.
func (s *memStore) Prune(context.Context, time.Time, time.Time, int) (int, error) { return 0, nil }
func (s *memStore) Close() error                                                  { return nil }
