package batching_test

import (
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"github.com/troupe-go/troupe/supervisor"
)

// faultyClock is the system clock, except that Now panics once when told
// to: the batcher's actor asks it the time on every item, so the next item
// after fail makes the actor itself panic, as a bug in it would.
type faultyClock struct {
	supervisor.Clock
	fail atomic.Bool
}

func (c *faultyClock) Now() time.Time {
	if c.fail.CompareAndSwap(true, false) {
		panic("a bug in the batcher")
	}
	return c.Clock.Now()
}

// A batcher whose actor panics is restarted under the app's supervision: every
// item its queue held is answered at once with ErrFailed (503, Retry-After)
// rather than left to its deadline, the restart is counted on /metrics as
// a stage's is, and the batcher goes on serving.
func TestPanickingBatcherIsRestartedAndItsItemsAnswered(t *testing.T) {
	// Batches of 8, and a minute's MaxDelay: the items below stay queued
	// until the panic, however slowly a loaded machine sends them.
	clock := &faultyClock{Clock: supervisor.SystemClock()}
	_, b := newDoubler(t, batching.Config{Name: "fragile", MaxBatchSize: 8, MaxDelay: time.Minute, EagerInFlight: -1, DisableFairShare: true, Clock: clock}, 0)
	a := serve(t, func(a *troupe.App) {
		a.Add(b)
		a.Handle("POST", "/double", batching.Handler("POST /double", b, batching.HandlerConfig[num, num]{}))
	})
	const queued = 3
	errs := make(chan error, queued)
	for i := range queued {
		go func() {
			_, err := b.Submit(t.Context(), num{N: i})
			errs <- err
		}()
	}
	waitFor(t, func() bool {
		return metricOf(t, a, fmt.Sprintf(`troupe_batch_queue_items{batcher="fragile"} %d`, queued))
	})

	// The next item makes the actor panic; it is answered too.
	clock.fail.Store(true)
	if _, err := b.Submit(t.Context(), num{N: 99}); err == nil {
		t.Error("the item that met the panic was answered without an error")
	}
	for range queued {
		err := <-errs
		if !errors.Is(err, batching.ErrFailed) || actors.ErrorStatus(err) != http.StatusServiceUnavailable {
			t.Errorf("a queued item after the panic: %v (status %d), want ErrFailed, 503", err, actors.ErrorStatus(err))
		}
	}
	for _, want := range []string{
		`troupe_batch_restarts_total{batcher="fragile"} 1`,
		`troupe_stage_restarts_total{stage="component fragile"} 1`,
		`troupe_batch_queue_items{batcher="fragile"} 0`,
	} {
		if !metricOf(t, a, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// It still serves: a full batch of 8 goes at once.
	results := make(chan reply, 8)
	for i := range 8 {
		go func() { results <- a.post(t, "/double", fmt.Sprintf(`{"n":%d}`, i)) }()
	}
	for range 8 {
		if r := <-results; r.status != http.StatusOK {
			t.Errorf("after the restart: %d %s, want 200", r.status, r.body)
		}
	}
}
