package upstream

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/troupe-go/troupe/actors"
)

// headerDeadline is the context of a proxied call whose response is
// streamed: until the response's header is in, it ends at the request's
// deadline (DeadlineExceeded) as the request's own context would, and says
// so through Deadline, so that the deadline header and the time-left checks
// see it; once the header is in (headerIn), the deadline no longer ends it,
// and the body may stream past it — a download, server-sent events —
// bounded by the ingress's stream idle timeout and write rate instead. It
// still ends when the client goes away (its parent, the request's context
// without the deadline, ends).
//
// An attempt_timeout makes a child context with a deadline of its own, at
// the earlier of the two: with one set, the stream is bounded by it and by
// the request's deadline after all.
type headerDeadline struct {
	context.Context // the request's context, which ends when the client goes
	deadline        time.Time
	done            chan struct{}
	timer           *time.Timer
	stopParent      func() bool

	mu     sync.Mutex
	err    error
	lifted bool // the header is in: the deadline no longer ends the context
}

// newHeaderDeadline returns the context, ending at deadline until
// headerIn, and with parent always; release it with cancel.
func newHeaderDeadline(parent context.Context, deadline time.Time) *headerDeadline {
	c := &headerDeadline{Context: parent, deadline: deadline, done: make(chan struct{})}
	c.timer = time.AfterFunc(time.Until(deadline), c.expire)
	c.stopParent = context.AfterFunc(parent, func() { c.end(parent.Err()) })
	return c
}

// Deadline implements context.Context.
func (c *headerDeadline) Deadline() (time.Time, bool) { return c.deadline, true }

// Done implements context.Context.
func (c *headerDeadline) Done() <-chan struct{} { return c.done }

// Err implements context.Context.
func (c *headerDeadline) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// end ends the context with err, once.
func (c *headerDeadline) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		close(c.done)
	}
}

// expire ends the context at the deadline, unless the header came first.
func (c *headerDeadline) expire() {
	c.mu.Lock()
	lifted := c.lifted
	c.mu.Unlock()
	if !lifted {
		c.end(context.DeadlineExceeded)
	}
}

// headerIn lifts the deadline: the response's header has arrived. It
// reports false if the context had ended first.
func (c *headerDeadline) headerIn() bool {
	c.mu.Lock()
	ok := c.err == nil
	c.lifted = ok
	c.mu.Unlock()
	c.timer.Stop()
	return ok
}

// cancel ends the context and releases what it holds.
func (c *headerDeadline) cancel() {
	c.timer.Stop()
	c.stopParent()
	c.end(context.Canceled)
}

// doStream calls the upstream for a response to stream: the request's
// deadline bounds the wait for its header, and the body may outlive it
// (see headerDeadline).
func (p *Proxy) doStream(ex *actors.Exchange, req *Request) (*Response, error) {
	ctx := newHeaderDeadline(ex.ClientContext(), ex.Deadline)
	resp, err := p.up.DoStream(ctx, req)
	switch {
	case err != nil:
		ctx.cancel()
		return nil, err
	case !ctx.headerIn(): // the deadline or the client came with the header
		if resp.Stream != nil {
			_ = resp.Stream.Close()
		}
		err := ctx.Err()
		ctx.cancel()
		return nil, err
	case resp.Stream == nil:
		ctx.cancel()
		return resp, nil
	}
	resp.Stream = &cancelOnClose{ReadCloser: resp.Stream, cancel: ctx.cancel}
	return resp, nil
}

// cancelOnClose is a streamed body that releases its context when closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel func()
}

// Close implements io.Closer.
func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
