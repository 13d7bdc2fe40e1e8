package actors

import (
	"context"
	"sync"
)

// workers is the dispatcher of Blocking hops: it runs a mailbox's turn on
// an idle goroutine of its own if it has one, and starts one if not. Each
// goroutine stays, waiting for the next turn, until the pool is stopped.
//
// Proto.Actor's default dispatcher starts a new goroutine for every turn
// instead. A Blocking actor's mailbox empties with almost every request, so
// that was a goroutine per request, starting on a minimal stack and growing
// it again in the stage's work (JSON decoding, an HTTP call): 4–5 µs a
// request in the batching and proxy benchmarks' profiles (bench/README.md).
// A kept goroutine keeps its grown stack. There are never more goroutines
// than turns running at once, so never more than the hop's actors.
type workers struct {
	throughput int
	work       chan func() // unbuffered: a send succeeds only if a goroutine is idle
	quit       chan struct{}

	mu      sync.Mutex
	live    int
	stopped bool
	exited  chan struct{} // closed once stopped and no goroutine is left
}

func newWorkers(throughput int) *workers {
	return &workers{throughput: throughput, work: make(chan func()), quit: make(chan struct{}), exited: make(chan struct{})}
}

// Schedule runs fn, a mailbox's turn, on an idle goroutine or a new one.
// After stop it runs fn on a goroutine of its own, as the default
// dispatcher does: a late turn (an actor's last system message) still
// runs.
func (w *workers) Schedule(fn func()) {
	select {
	case w.work <- fn:
		return
	default:
	}
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		go fn()
		return
	}
	w.live++
	w.mu.Unlock()
	go w.run(fn)
}

// Throughput is how many messages a turn processes before it yields.
func (w *workers) Throughput() int { return w.throughput }

func (w *workers) run(fn func()) {
	defer func() {
		w.mu.Lock()
		w.live--
		if w.stopped && w.live == 0 {
			close(w.exited)
		}
		w.mu.Unlock()
	}()
	for {
		fn()
		select {
		case fn = <-w.work:
		case <-w.quit:
			return
		}
	}
}

// stop tells the goroutines to end once their turn is over. Stop the hop's
// actors first. Calling it twice is safe.
func (w *workers) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	w.stopped = true
	close(w.quit)
	if w.live == 0 {
		close(w.exited)
	}
}

// wait waits, until ctx ends, for the goroutines to end after stop.
func (w *workers) wait(ctx context.Context) error {
	select {
	case <-w.exited:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
