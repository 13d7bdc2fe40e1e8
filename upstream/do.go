package upstream

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/troupe-go/troupe/overload"

	"github.com/asynkron/protoactor-go/actor"
)

// Request is a call to an upstream: what each attempt sends, to whichever
// target it goes to.
type Request struct {
	// Method is the HTTP method. Defaults to GET.
	Method string
	// Path is the escaped path (as url.URL.EscapedPath gives it), after the
	// target's base path: "/items/42".
	Path string
	// RawQuery is the escaped query, without "?".
	RawQuery string
	// Header is sent as it is, except that Do sets the deadline header in
	// it (see Config.DeadlineHeader). Strip hop-by-hop headers first.
	Header http.Header
	// Host is the Host header; empty means the target's host.
	Host string
	// Body is the request body, sent again with each attempt.
	Body []byte
	// Stream, when set, is the request body in place of Body, sent as it is
	// read: a call with a Stream makes one attempt, since a body read once
	// cannot be sent again. If reading it fails with an *actors.Error (the
	// ingress's 413, 408 or 400 for the client's body), the call fails with
	// that error, and the attempt is neutral for the breaker: the client,
	// not the upstream, failed.
	Stream io.Reader
	// ContentLength is Stream's length; 0 or -1 if unknown (the body is
	// then sent chunked).
	ContentLength int64
	// Trailer, with Stream, are the trailers sent after the body: its
	// keys are announced up front and its values read once Stream has
	// returned io.EOF, as net/http fills in an incoming request's Trailer.
	// The body is then sent chunked.
	Trailer http.Header
}

// Response is an upstream's response, read in full.
type Response struct {
	// Status is the response's status code.
	Status int
	// Header is the response's header, as received: hop-by-hop headers
	// included.
	Header http.Header
	// Trailer holds the trailers the upstream sent after the body.
	Trailer http.Header
	// Body is the response body, at most Config.MaxResponseBytes; nil from
	// DoStream.
	Body []byte
	// Stream is the response body from DoStream, unread and of any size:
	// the caller must close it, which frees the connection and the
	// bulkhead's slot. The attempt (and AttemptTimeout) lasts until then.
	// Trailer is filled once it has returned io.EOF.
	Stream io.ReadCloser
	// Attempts is how many attempts the call made.
	Attempts int
	// Target is the base URL of the target that answered.
	Target string
}

// Do calls the upstream and returns its response, making up to
// Retry.MaxAttempts attempts (see RetryConfig), each on a target picked
// by the balancer, each admitted by the breaker and bounded by ctx's
// deadline (and AttemptTimeout).
//
// A response, whatever its status, is returned with a nil error: the last
// one when every attempt failed with one. Otherwise the error is an
// *actors.Error, with the status a client should get, wrapping one of
// ErrOpen, ErrBulkheadFull, ErrTimeout, ErrUnreachable or ErrStopped — or
// ctx's error when ctx was cancelled.
//
// ctx is the request's: its cancellation (the client went away) makes the
// attempt neutral for the breaker; its deadline bounds every attempt and is
// sent upstream.
func (u *Upstream) Do(ctx context.Context, req *Request) (*Response, error) {
	return u.call(ctx, req, false)
}

// DoStream calls the upstream as Do does, but returns the response with
// its body unread, as Response.Stream, which the caller must close: for
// bodies too large to hold, or that arrive over time. Retries happen as
// with Do (an attempt that is retried has its body closed); the breaker
// judges an attempt by its status and by how long its header took.
func (u *Upstream) DoStream(ctx context.Context, req *Request) (*Response, error) {
	return u.call(ctx, req, true)
}

// call is Do, or DoStream when stream is set.
func (u *Upstream) call(ctx context.Context, req *Request, stream bool) (resp *Response, err error) {
	pid := u.running()
	if pid == nil {
		return nil, u.failure(ErrStopped, nil, time.Second)
	}
	if h := u.health; h != nil && h.Down() {
		return nil, h.Gate().Err()
	}
	permit, retryAfter, err := u.bulkhead.acquire(ctx)
	switch {
	case errors.Is(err, overload.ErrOverload):
		u.m.rejects[rejectBulkhead].Inc()
		return nil, u.failure(ErrBulkheadFull, nil, retryAfter)
	case errors.Is(err, context.DeadlineExceeded): // too little time left for a call
		u.m.rejects[rejectDeadline].Inc()
		return nil, u.failure(ErrTimeout, nil, 0)
	case err != nil:
		return nil, u.ended(ctx)
	}
	u.m.inFlight.Inc()
	var timedOut bool // an attempt reached the upstream and ran out of time
	defer func() {
		// What the call says of the upstream's load, for the bulkhead's
		// adaptive limit: an attempt that timed out, or an upstream
		// refusing for load, is congestion; an answer is a service time,
		// timed to its header (a streamed body may take long to read);
		// the rest (the client left, a connection refused) says nothing.
		switch {
		case timedOut || resp != nil && (resp.Status == http.StatusServiceUnavailable || resp.Status == http.StatusTooManyRequests):
			permit.Drop()
		case err == nil && resp != nil && resp.Stream == nil:
			permit.Release()
		case err == nil && resp != nil:
			permit.Measure()
		}
		if resp != nil && resp.Stream != nil { // the slot is freed when the stream is closed
			resp.Stream = &releasing{ReadCloser: resp.Stream, release: func() { permit.Ignore(); u.m.inFlight.Dec() }}
			return
		}
		permit.Ignore() // a no-op if ended above
		u.m.inFlight.Dec()
	}()

	path, err := url.PathUnescape(req.Path)
	if err != nil {
		path = req.Path
	}
	method := cmp.Or(req.Method, http.MethodGet)
	retries := u.cfg.Retry.MaxAttempts > 1 && (u.cfg.Retry.NonIdempotent || idempotent(method, req.Header)) && req.Stream == nil
	var last attempt
	for n := 1; ; n++ {
		if ctx.Err() != nil {
			if n == 1 {
				return nil, u.ended(ctx)
			}
			break
		}
		if !u.timeLeft(ctx, 0) {
			if n == 1 {
				u.m.rejects[rejectDeadline].Inc()
				return nil, u.failure(ErrTimeout, nil, 0)
			}
			break
		}
		adm, err := u.admit(ctx, pid, n == 1)
		if err != nil {
			return nil, err
		}
		if !adm.ok {
			if n == 1 {
				return nil, u.failure(ErrOpen, nil, adm.retryAfter)
			}
			break // the breaker opened meanwhile: the last failure stands
		}
		if n > 1 {
			last.discard() // the attempt being retried
		}
		last = u.try(ctx, pid, adm.ticket, req, path, stream, n-1)
		last.n = n
		r := u.cls.result(ctx, last.status(), last.err, last.elapsed)
		if last.clientBody {
			r = resultClientBody
		}
		last.result = r
		timedOut = timedOut || r == resultTimeout
		want := retries && n < u.cfg.Retry.MaxAttempts && u.cls.retryable(r, last.status()) && ctx.Err() == nil
		var wait time.Duration
		if want {
			wait = u.cfg.Retry.backoff(n, u.jitter())
			want = u.timeLeft(ctx, wait)
		}
		if !u.report(pid, adm.ticket, r, u.cls.outcome(r), want) || !sleep(ctx, wait) {
			break
		}
	}
	return u.finish(ctx, last)
}

// try makes an admitted attempt. Should it panic (a RoundTripper of the
// caller's), the attempt is reported as a failure before the panic goes
// on, as gobreaker's Execute does: an admission never reported would hold
// a half-open probe slot for good.
func (u *Upstream) try(ctx context.Context, pid *actor.PID, t ticket, req *Request, path string, stream bool, resend int) attempt {
	defer func() {
		if r := recover(); r != nil {
			u.report(pid, t, resultConnect, failure, false)
			panic(r)
		}
	}()
	return u.attempt(ctx, t.target, req, path, stream, resend)
}

// finish turns the last attempt into Do's results.
func (u *Upstream) finish(ctx context.Context, a attempt) (*Response, error) {
	if a.err == nil {
		a.resp.Attempts = a.n
		return a.resp, nil
	}
	switch a.result {
	case resultClientBody:
		return nil, a.err
	case resultCanceled:
		return nil, u.ended(ctx)
	case resultTimeout:
		return nil, u.failure(ErrTimeout, a.err, 0)
	}
	return nil, u.failure(ErrUnreachable, a.err, 0)
}

// releasing is a streamed response body that frees its call's hold when it
// is closed, once.
type releasing struct {
	io.ReadCloser
	release func()
	once    sync.Once
}

// Close closes the body and frees the call's hold.
func (r *releasing) Close() error {
	err := r.ReadCloser.Close()
	r.once.Do(r.release)
	return err
}

// ended returns the error of a call whose ctx ended before it could make an
// attempt.
func (u *Upstream) ended(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return u.failure(ErrTimeout, ctx.Err(), 0)
	}
	return ctx.Err()
}
