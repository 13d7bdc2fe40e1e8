package batching

import (
	"context"
	"time"
)

// manualCtx is a context the test ends by hand: the core reads only Err
// and Deadline, so a test can drive cancellation and deadlines with a fake
// clock. Not safe for concurrent use.
type manualCtx struct {
	deadline time.Time
	done     chan struct{}
	err      error
}

func newManualCtx(deadline time.Time) *manualCtx {
	return &manualCtx{deadline: deadline, done: make(chan struct{})}
}

func (c *manualCtx) Deadline() (time.Time, bool) { return c.deadline, !c.deadline.IsZero() }
func (c *manualCtx) Done() <-chan struct{}       { return c.done }
func (c *manualCtx) Err() error                  { return c.err }
func (c *manualCtx) Value(any) any               { return nil }

// end ends the context with err, once.
func (c *manualCtx) end(err error) {
	if c.err == nil {
		c.err = err
		close(c.done)
	}
}

var _ context.Context = (*manualCtx)(nil)

// event is something the core did, as a recordingSink saw it.
type event struct {
	kind   string // "start", "answer", "drop"
	batch  *batch[int, int]
	entry  *entry[int, int]
	result Result[int]
	why    dropReason
}

// recordingSink records what the core does, and counts the answers each
// entry gets.
type recordingSink struct {
	events  []event
	answers map[*entry[int, int]]int
	onStart func(b *batch[int, int])
}

func newRecordingSink() *recordingSink {
	return &recordingSink{answers: map[*entry[int, int]]int{}}
}

func (s *recordingSink) start(b *batch[int, int]) {
	s.events = append(s.events, event{kind: "start", batch: b})
	if s.onStart != nil {
		s.onStart(b)
	}
}

func (s *recordingSink) answer(e *entry[int, int], r Result[int]) {
	s.answers[e]++
	s.events = append(s.events, event{kind: "answer", entry: e, result: r})
}

func (s *recordingSink) drop(e *entry[int, int], why dropReason, err error) {
	s.answers[e]++
	s.events = append(s.events, event{kind: "drop", entry: e, why: why, result: Result[int]{Err: err}})
}

// started returns the batches started since event i, and the index to
// pass next time.
func (s *recordingSink) started(i int) ([]*batch[int, int], int) {
	var bs []*batch[int, int]
	for ; i < len(s.events); i++ {
		if s.events[i].kind == "start" {
			bs = append(bs, s.events[i].batch)
		}
	}
	return bs, i
}
