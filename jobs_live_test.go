package troupe_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/live"
	"github.com/troupe-go/troupe/jobs"
)

// TestLiveJobs: /api/state shows each queue's jobs by state and its
// concurrency in use, and the dead-letter list, whose replay path the
// admin listener takes.
func TestLiveJobs(t *testing.T) {
	store := openJobStore(t)
	hold := make(chan struct{})
	started := make(chan struct{}, 1) // one job of "slow"
	defer close(hold)                 // before the app stops: its attempt returns
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.GET("/", ok("root").Stage.Process)
		app.Queue(jobs.Queue{Name: "fragile", MaxAttempts: 2, Poll: 10 * time.Millisecond, Backoff: jobs.Backoff{Base: time.Millisecond}},
			troupe.Handler("fail", func(ex *actors.Exchange) error { return errors.New("always") }))
		app.Queue(jobs.Queue{Name: "slow", Concurrency: 3}, troupe.Handler("hold", func(ex *actors.Exchange) error {
			started <- struct{}{}
			<-hold
			ex.Respond(http.StatusOK, "text/plain", nil)
			return nil
		}))
	}, troupe.WithJobStore(store))

	doomed, _, err := s.app.Enqueue(t.Context(), "fragile", []byte("x"), jobs.EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.app.Enqueue(t.Context(), "slow", nil, jobs.EnqueueOptions{}); err != nil {
		t.Fatal(err)
	}
	<-started
	waitJob(t, store, doomed.ID, jobs.Dead)

	var snap live.Snapshot
	// The page's reads of the store are at most half a second old.
	waitFor(t, "the dead job on /api/state", func() bool {
		r := s.adminGet(t, "/api/state")
		snap = live.Snapshot{}
		if err := json.Unmarshal([]byte(r.body), &snap); err != nil {
			t.Fatalf("/api/state: %v\n%s", err, r.body)
		}
		return len(snap.Jobs.Dead) == 1
	})
	j := snap.Jobs
	if j.Error != "" || j.DeadShown != 50 || len(j.Queues) != 2 {
		t.Fatalf("jobs = %+v, want two queues and no error", j)
	}
	if q := j.Queues[0]; q != (live.JobQueue{Name: "fragile", Dead: 1, Concurrency: 4}) {
		t.Errorf("fragile = %+v, want one dead job, concurrency 4 (the default), none in use", q)
	}
	if q := j.Queues[1]; q != (live.JobQueue{Name: "slow", Running: 1, Concurrency: 3, InUse: 1}) {
		t.Errorf("slow = %+v, want one job running, 1 of 3 in use", q)
	}
	d := j.Dead[0]
	if d.ID != doomed.ID || d.Queue != "fragile" || d.Attempts != 2 || d.DiedAt.IsZero() || d.LastError == "" ||
		d.Replay != "/jobs/"+strconv.FormatInt(doomed.ID, 10)+"/replay" {
		t.Errorf("dead job = %+v, want job %d of fragile, 2 attempts, its last error, when it died, its replay path", d, doomed.ID)
	}
	res, err := s.client.Post(s.admin+d.Replay, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s = %d, want 200", d.Replay, res.StatusCode)
	}
	waitFor(t, "the replayed job to die again", func() bool {
		got, err := store.Get(t.Context(), doomed.ID)
		return err == nil && got.State == jobs.Dead && len(got.Errors) == 4
	})
}
