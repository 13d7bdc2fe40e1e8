package batching_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/troupe-go/troupe/batching"
)

// callbacks records what SubmitFunc's callbacks got, and how often each
// was called.
type callbacks struct {
	mu    sync.Mutex
	got   map[int][]batching.Result[int]
	order []int
}

func (c *callbacks) submit(t *testing.T, ctx context.Context, b *batching.Batcher[int, int], v int) {
	t.Helper()
	if err := b.SubmitFunc(ctx, "", v, func(r batching.Result[int]) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.got == nil {
			c.got = map[int][]batching.Result[int]{}
		}
		c.got[v] = append(c.got[v], r)
		c.order = append(c.order, v)
	}); err != nil {
		t.Fatalf("SubmitFunc(%d) = %v", v, err)
	}
}

// only returns v's one result, failing the test if it got none or more.
func (c *callbacks) only(t *testing.T, v int) batching.Result[int] {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.got[v]); n != 1 {
		t.Fatalf("item %d was answered %d times, want once", v, n)
	}
	return c.got[v][0]
}

func TestSubmitFuncAnswersOnceWithoutWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		be := &backend{}
		b := start(t, batching.Config{MaxBatchSize: 4, MaxInFlight: 1, MaxQueue: 3}, be.fn)
		var cb callbacks
		cb.submit(t, t.Context(), b, 1) // goes eagerly, alone
		synctest.Wait()
		ctx, cancel := context.WithCancel(t.Context())
		cb.submit(t, ctx, b, 2) // will leave while queued
		cb.submit(t, t.Context(), b, 3)
		cb.submit(t, t.Context(), b, 4)
		cb.submit(t, t.Context(), b, 5) // past MaxQueue 3
		synctest.Wait()
		if r := cb.only(t, 5); !errors.Is(r.Err, batching.ErrQueueFull) {
			t.Errorf("item past the queue = %+v, want ErrQueueFull", r)
		}
		cancel()
		synctest.Wait()
		if r := cb.only(t, 2); !errors.Is(r.Err, context.Canceled) {
			t.Errorf("cancelled item = %+v, want context.Canceled at once", r)
		}
		be.next(t).double()
		synctest.Wait()
		be.next(t).double()
		synctest.Wait()
		for _, v := range []int{1, 3, 4} {
			if r := cb.only(t, v); r.Err != nil || r.Value != 2*v {
				t.Errorf("item %d = %+v, want %d", v, r, 2*v)
			}
		}
		if got, want := be.calls(), [][]int{{1}, {3, 4}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("batches %v, want %v (the cancelled item never sent)", got, want)
		}
	})
}

func TestSubmitFuncRefusesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		be := &backend{}
		b := start(t, batching.Config{}, be.fn)
		called := false
		done := func(batching.Result[int]) { called = true }

		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := b.SubmitFunc(ctx, "", 1, done); !errors.Is(err, context.Canceled) {
			t.Errorf("SubmitFunc with an ended context = %v, want context.Canceled", err)
		}
		if err := b.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := b.SubmitFunc(t.Context(), "", 2, done); !errors.Is(err, batching.ErrStopped) {
			t.Errorf("SubmitFunc after Stop = %v, want ErrStopped", err)
		}
		synctest.Wait()
		if called || len(be.calls()) != 0 {
			t.Errorf("a refused item was answered (%v) or sent (%v)", called, be.calls())
		}
	})
}

// A callback that panics does not keep the rest of its batch unanswered.
func TestSubmitFuncCallbackPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		be := &backend{}
		b := start(t, batching.Config{MaxBatchSize: 2, MaxInFlight: 1, EagerInFlight: -1, DisableFairShare: true}, be.fn)
		if err := b.SubmitFunc(t.Context(), "", 1, func(batching.Result[int]) { panic("callback") }); err != nil {
			t.Fatal(err)
		}
		var cb callbacks
		cb.submit(t, t.Context(), b, 2)
		synctest.Wait()
		be.next(t).double()
		synctest.Wait()
		if r := cb.only(t, 2); r.Err != nil || r.Value != 4 {
			t.Errorf("the other item = %+v, want 4", r)
		}
	})
}
