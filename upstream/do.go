package upstream

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

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
	// Body is the response body, at most Config.MaxResponseBytes.
	Body []byte
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
	pid := u.running()
	if pid == nil {
		return nil, u.failure(ErrStopped, nil, time.Second)
	}
	if err := u.bulkhead.acquire(ctx); err != nil {
		if errors.Is(err, ErrBulkheadFull) {
			u.m.rejects[rejectBulkhead].Inc()
			return nil, u.failure(ErrBulkheadFull, nil, time.Second)
		}
		return nil, u.ended(ctx)
	}
	defer u.bulkhead.release()
	u.m.inFlight.Inc()
	defer u.m.inFlight.Dec()

	path, err := url.PathUnescape(req.Path)
	if err != nil {
		path = req.Path
	}
	method := cmp.Or(req.Method, http.MethodGet)
	retries := u.cfg.Retry.MaxAttempts > 1 && (u.cfg.Retry.NonIdempotent || idempotent(method, req.Header))
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
		adm, err := u.admit(pid, n == 1)
		if err != nil {
			return nil, err
		}
		if !adm.ok {
			if n == 1 {
				return nil, u.failure(ErrOpen, nil, adm.retryAfter)
			}
			break // the breaker opened meanwhile: the last failure stands
		}
		last = u.try(ctx, pid, adm.ticket, req, path)
		last.n = n
		r := u.cls.result(ctx, last.status(), last.err, last.elapsed)
		last.result = r
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
func (u *Upstream) try(ctx context.Context, pid *actor.PID, t ticket, req *Request, path string) attempt {
	defer func() {
		if r := recover(); r != nil {
			u.report(pid, t, resultConnect, failure, false)
			panic(r)
		}
	}()
	return u.attempt(ctx, t.target, req, path)
}

// finish turns the last attempt into Do's results.
func (u *Upstream) finish(ctx context.Context, a attempt) (*Response, error) {
	if a.err == nil {
		a.resp.Attempts = a.n
		return a.resp, nil
	}
	switch a.result {
	case resultCanceled:
		return nil, u.ended(ctx)
	case resultTimeout:
		return nil, u.failure(ErrTimeout, a.err, 0)
	}
	return nil, u.failure(ErrUnreachable, a.err, 0)
}

// ended returns the error of a call whose ctx ended before it could make an
// attempt.
func (u *Upstream) ended(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return u.failure(ErrTimeout, ctx.Err(), 0)
	}
	return ctx.Err()
}
