package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"go.uber.org/zap"
)

// batchStopBound is how long a grain's batcher, stopping, may take to run
// what it holds before its waiting items are answered ErrStopped (503);
// batches already running are still waited for.
const batchStopBound = 5 * time.Second

// batchHost keeps, on one member, the batchers of scope cluster that the
// member registered (so that the grains it holds can run their batch
// functions), the batchers of those grains, and the goroutines of its
// forwards. It is safe for concurrent use.
type batchHost struct {
	log *zap.Logger

	mu      sync.Mutex
	regs    map[string]*batchReg                           // by batcher name
	live    map[*batching.Batcher[[]byte, []byte]]struct{} // the grains' batchers, running
	sys     *actors.System                                 // the grains' batchers' actors; made on first use
	leaving bool                                           // the member is leaving: grains take no more items
	closed  bool

	wg sync.WaitGroup // forwards' calls, and grains' batchers stopping
}

// batchReg is a batcher registered on this member.
type batchReg struct {
	cfg batching.Config
	run batching.BatchFunc[[]byte, []byte]
}

func newBatchHost(log *zap.Logger) *batchHost {
	return &batchHost{log: log, regs: map[string]*batchReg{}, live: map[*batching.Batcher[[]byte, []byte]]struct{}{}}
}

// register makes name's grains on this member run run, batched as cfg
// says, replacing an earlier registration (a reload's). It returns the
// registration, for unregister.
func (h *batchHost) register(name string, cfg batching.Config, run batching.BatchFunc[[]byte, []byte]) *batchReg {
	r := &batchReg{cfg: cfg, run: run}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.regs[name] = r
	return r
}

// unregister forgets r, unless a later registration replaced it.
func (h *batchHost) unregister(name string, r *batchReg) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.regs[name] == r {
		delete(h.regs, name)
	}
}

// batcher returns a new, started batcher for a grain of the batcher name,
// or why there is none.
func (h *batchHost) batcher(name string) (*batching.Batcher[[]byte, []byte], error) {
	h.mu.Lock()
	r := h.regs[name]
	switch {
	case h.leaving || h.closed:
		h.mu.Unlock()
		return nil, errors.New("the member is leaving the cluster")
	case r == nil:
		h.mu.Unlock()
		return nil, fmt.Errorf("the member has no batcher %q of scope cluster", name)
	}
	if h.sys == nil {
		h.sys = actors.NewSystem(h.log)
	}
	sys := h.sys
	h.mu.Unlock()

	cfg := r.cfg
	if cfg.Logger == nil {
		cfg.Logger = h.log
	}
	b, err := batching.New(cfg, r.run)
	if err == nil {
		err = b.Start(sys)
	}
	if err != nil {
		return nil, fmt.Errorf("the batcher %q could not start on the member: %w", name, err)
	}
	h.mu.Lock()
	gone := h.leaving || h.closed
	if !gone {
		h.live[b] = struct{}{}
	}
	h.mu.Unlock()
	if gone {
		_ = b.Stop(context.Background()) // it holds nothing yet
		return nil, errors.New("the member is leaving the cluster")
	}
	return b, nil
}

// refusing says why grains take no more items, or "".
func (h *batchHost) refusing() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.leaving || h.closed {
		return "the member is leaving the cluster"
	}
	return ""
}

// retire stops b, a grain's batcher, once the grain has stopped: on a
// goroutine of the host's, which close waits for.
func (h *batchHost) retire(b *batching.Batcher[[]byte, []byte]) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.live[b]; ok {
		delete(h.live, b)
		h.stopLater(b)
	}
}

// stopLater stops b on a goroutine of the host's. Called with h.mu held,
// before close has begun to wait.
func (h *batchHost) stopLater(b *batching.Batcher[[]byte, []byte]) {
	h.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), batchStopBound)
		defer cancel()
		if b.Stop(ctx) != nil {
			_ = b.Stop(context.Background()) // the batches running: their own deadlines end them
		}
	})
}

// leave makes grains refuse further items (their members then do what
// on_cluster_loss says) and their batchers send what they hold at once:
// the member is leaving, and its grains' answers must go out before it
// has left.
func (h *batchHost) leave() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.leaving = true
	for b := range h.live {
		b.Drain()
	}
}

// close stops every grain's batcher still running, waits for them and for
// the forwards' calls, and closes the batchers' actor system.
func (h *batchHost) close() {
	h.mu.Lock()
	h.leaving, h.closed = true, true
	for b := range h.live {
		delete(h.live, b)
		h.stopLater(b)
	}
	sys := h.sys
	h.mu.Unlock()
	h.wg.Wait()
	if sys != nil {
		sys.Shutdown()
	}
}

// goCall runs f on a goroutine of the host's, which close waits for, and
// reports whether it did: not once close has begun.
func (h *batchHost) goCall(f func()) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.wg.Go(f)
	return true
}
