package httpin

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// errSlowBody is the error of a body cut off for arriving slower than the
// minimum rate. It is an os.ErrDeadlineExceeded, which the ingress answers
// with 408.
var errSlowBody = fmt.Errorf("the request body arrived slower than the minimum rate: %w", os.ErrDeadlineExceeded)

// rateBody is a request body that must arrive at a minimum rate: before each
// read it sets the connection's read deadline to start + rate.allow(n),
// where start is the first read and n the bytes read so far, capped at
// limit (the request's ReadTimeout). So the deadline moves out as data
// arrives, and a body that falls behind fails with a deadline error; cut is
// then called, to close the connection after the response.
//
// Once the body has been read in full, the deadline goes back to limit: a
// read net/http keeps pending meanwhile, to see the client go away, must
// not fail on the rate's deadline. Once the handler has returned (done),
// reads no longer touch the deadline: the connection may have moved on to
// its next request.
type rateBody struct {
	body        io.ReadCloser
	setDeadline func(time.Time) error
	now         func() time.Time
	rate        minRate
	limit       time.Time
	cut         func()

	n int64 // bytes read; only Read touches it

	mu      sync.Mutex
	start   time.Time // of the first read; zero before it
	eof     bool
	failed  bool
	done    bool
	unarmed bool // the deadline is net/http's own: nothing read yet
}

// extendLimit moves the cap on the body's deadline out to t, if later: a
// route that streams its body may take until its own deadline.
func (b *rateBody) extendLimit(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.limit.IsZero() && t.After(b.limit) {
		b.limit = t
	}
}

// Read implements io.Reader.
func (b *rateBody) Read(p []byte) (int, error) {
	if err := b.arm(); err != nil {
		return 0, err
	}
	n, err := b.body.Read(p)
	b.n += int64(n)
	switch {
	case err == io.EOF:
		b.finish()
	case errors.Is(err, os.ErrDeadlineExceeded):
		b.fail()
		err = fmt.Errorf("%w (%w)", errSlowBody, err)
	}
	return n, err
}

// Close implements io.Closer.
func (b *rateBody) Close() error { return b.body.Close() }

// arm sets the read deadline for the next read, or fails if it has passed.
func (b *rateBody) arm() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done || b.eof {
		return nil
	}
	if b.failed {
		return errSlowBody
	}
	now := b.now()
	if b.start.IsZero() {
		b.start = now
	}
	dl := capAt(b.start.Add(b.rate.allow(b.n)), b.limit)
	if !now.Before(dl) {
		b.failLocked()
		return errSlowBody
	}
	_ = b.setDeadline(dl) // fails only on a connection already gone, which the read will see
	return nil
}

// finish restores the request's deadline once the body has been read.
func (b *rateBody) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.eof = true
	if !b.done {
		_ = b.setDeadline(b.limit)
	}
}

func (b *rateBody) fail() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failLocked()
}

func (b *rateBody) failLocked() {
	if !b.failed {
		b.failed = true
		b.cut()
	}
}

// handlerDone is called once the handler has returned: reads no longer set
// deadlines. What the handler left unread net/http discards (up to 256 KiB)
// before the next request; that gets the grace of the rate, no more.
func (b *rateBody) handlerDone() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done = true
	if !b.eof && !b.failed {
		_ = b.setDeadline(capAt(b.now().Add(b.rate.grace), b.limit))
	}
}
