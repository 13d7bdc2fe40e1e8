package batching_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"go.uber.org/zap"
)

// backend is a BatchFunc whose calls wait until the test releases them,
// so that a test decides when each batch finishes and what it answers.
type backend struct {
	mu      sync.Mutex
	pending []*call
	seen    [][]int // the values of every call, in call order
}

// call is one BatchFunc call waiting for the test.
type call struct {
	ctx     context.Context
	items   []batching.Item[int]
	release chan func() ([]batching.Result[int], error) // size one: the test never waits
}

func (be *backend) fn(ctx context.Context, items []batching.Item[int]) ([]batching.Result[int], error) {
	c := &call{ctx: ctx, items: items, release: make(chan func() ([]batching.Result[int], error), 1)}
	vs := make([]int, len(items))
	for i, it := range items {
		vs[i] = it.Value
	}
	be.mu.Lock()
	be.pending = append(be.pending, c)
	be.seen = append(be.seen, vs)
	be.mu.Unlock()
	return (<-c.release)()
}

// next takes the oldest call still waiting; the test must have let the
// batcher settle (synctest.Wait) first.
func (be *backend) next(t *testing.T) *call {
	t.Helper()
	be.mu.Lock()
	defer be.mu.Unlock()
	if len(be.pending) == 0 {
		t.Fatal("no batch is waiting")
	}
	c := be.pending[0]
	be.pending = be.pending[1:]
	return c
}

func (be *backend) waiting() int {
	be.mu.Lock()
	defer be.mu.Unlock()
	return len(be.pending)
}

func (be *backend) calls() [][]int {
	be.mu.Lock()
	defer be.mu.Unlock()
	return slices.Clone(be.seen)
}

// double answers every item with its value × 2.
func (c *call) double() {
	c.release <- func() ([]batching.Result[int], error) {
		rs := make([]batching.Result[int], len(c.items))
		for i, it := range c.items {
			rs[i].Value = it.Value * 2
		}
		return rs, nil
	}
}

func (c *call) answer(f func() ([]batching.Result[int], error)) { c.release <- f }

func (c *call) values() []int {
	vs := make([]int, len(c.items))
	for i, it := range c.items {
		vs[i] = it.Value
	}
	return vs
}

// start starts a batcher of fn in a new actor system, and stops both when
// the test ends. Inside a synctest bubble, it lives in the bubble.
func start[In, Out any](t *testing.T, cfg batching.Config, fn batching.BatchFunc[In, Out]) *batching.Batcher[In, Out] {
	t.Helper()
	sys := actors.NewSystem(zap.NewNop())
	b, err := batching.New(cfg, fn)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(sys); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
		sys.Shutdown()
	})
	return b
}

// outcome is what one Submit returned.
type outcome struct {
	v   int
	err error
}

// submit runs Submit on a goroutine of its own; its outcome arrives on
// the returned channel (size one: the goroutine never waits for the test).
func submit(ctx context.Context, b *batching.Batcher[int, int], key string, v int) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		out, err := b.SubmitKey(ctx, key, v)
		ch <- outcome{out, err}
	}()
	return ch
}
