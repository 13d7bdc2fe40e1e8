package actors

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Turns that come one after another run on one kept goroutine; turns that
// overlap get one each; stop ends them all once their turns are over.
func TestWorkersKeepTheirGoroutines(t *testing.T) {
	w := newWorkers(10)
	for range 100 {
		done := make(chan struct{})
		w.Schedule(func() { close(done) })
		<-done
		w.work <- func() {} // returns once a goroutine is back waiting for work
	}
	// A goroutine per turn would make 100. Between a goroutine's receive
	// and its next one, a turn may find none idle and start another, so
	// the count is not exactly 1.
	if live := w.count(); live > 10 {
		t.Fatalf("100 turns one after another used %d goroutines; want them reused", live)
	}

	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(3)
	for range 3 {
		w.Schedule(func() { started.Done(); <-release })
	}
	started.Wait() // all three run at once: none waits behind another

	w.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := w.wait(ctx); err == nil {
		t.Fatal("wait returned while three turns were still running")
	}
	close(release)
	if err := w.wait(context.Background()); err != nil {
		t.Fatal(err)
	}

	// A turn scheduled after stop still runs.
	late := make(chan struct{})
	w.Schedule(func() { close(late) })
	<-late
}

// count returns the pool's goroutines.
func (w *workers) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.live
}
