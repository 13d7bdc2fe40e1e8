// Package stagetest runs a stage on one request without HTTP, actors or a
// running server, and reports what came of it: the stage's error, whether
// it ended the exchange, the response after error mapping, and whether the
// handler and the after-phase ran. Use it to test stages table-first:
//
//	out := stagetest.Run(t, myStage, httptest.NewRequest("GET", "/x", nil))
//	if out.Status != 401 { … }
package stagetest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/routing"
)

// Outcome is what running a stage on one request came to.
type Outcome struct {
	// Exchange is the exchange after the run, for reading per-request
	// values a stage set.
	Exchange *actors.Exchange
	// Err is what the stage's Process returned.
	Err error
	// Ended reports whether the stage ended the exchange (an error or a
	// response of its own), so the handler did not run.
	Ended bool
	// HandlerRan reports whether the handler ran.
	HandlerRan bool
	// AfterRan reports whether the stage's after-phase ran.
	AfterRan bool
	// Status, Header and Body are the final response: after error mapping
	// (a problem+json body) and after the after-phase.
	Status int
	Header http.Header
	Body   []byte
}

// Option changes how Run builds the exchange or what stands after the stage.
type Option func(*config)

type config struct {
	handler   func(ex *actors.Exchange) error
	body      []byte
	params    []string
	requestID string
	timeout   time.Duration
	setup     []func(ex *actors.Exchange)
}

// WithHandler sets what runs after the stage when it lets the exchange
// through. The default handler answers 200 "ok" as text/plain.
func WithHandler(h func(ex *actors.Exchange) error) Option {
	return func(c *config) { c.handler = h }
}

// WithBody sets the request body, as the ingress would have read it.
func WithBody(b []byte) Option { return func(c *config) { c.body = b } }

// WithParams sets the route's path parameters, as name, value pairs.
func WithParams(pairs ...string) Option { return func(c *config) { c.params = pairs } }

// WithRequestID sets the request id. Defaults to "test-request".
func WithRequestID(id string) Option { return func(c *config) { c.requestID = id } }

// WithTimeout sets the exchange's deadline from now. Defaults to 10s.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithSetup runs f on the exchange before the stage, e.g. to set a
// per-request value an earlier stage would have set.
func WithSetup(f func(ex *actors.Exchange)) Option {
	return func(c *config) { c.setup = append(c.setup, f) }
}

// Exchange builds the exchange Run would give the stage, for tests that
// call Process and After themselves.
func Exchange(t testing.TB, r *http.Request, opts ...Option) *actors.Exchange {
	t.Helper()
	c := build(opts)
	return c.exchange(t, r)
}

func build(opts []Option) *config {
	c := &config{
		handler: func(ex *actors.Exchange) error {
			ex.Respond(http.StatusOK, "text/plain", []byte("ok"))
			return nil
		},
		requestID: "test-request",
		timeout:   10 * time.Second,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func (c *config) exchange(t testing.TB, r *http.Request) *actors.Exchange {
	ctx := r.Context()
	if ctx == context.Background() {
		ctx = t.Context()
	}
	ex := pipeline.NewExchange(ctx, r.WithContext(ctx), nil)
	ex.Body, ex.Params, ex.RequestID, ex.Start, ex.Deadline = c.body, routing.ParamsOf(c.params...), c.requestID, time.Now(), time.Now().Add(c.timeout)
	ex.Route, ex.Path = r.URL.Path, r.URL.Path
	for _, f := range c.setup {
		f(ex)
	}
	return ex
}

// Run runs stage on r as the pipeline would: Process; then, unless the
// stage ended the exchange, the handler and the stage's after-phase; then
// it tells the response's OnWritten callbacks that the body was written. An
// error from Process or the handler becomes the problem+json response the
// client would get.
func Run(t testing.TB, stage actors.Stage, r *http.Request, opts ...Option) Outcome {
	t.Helper()
	c := build(opts)
	ex := c.exchange(t, r)
	out := Outcome{Exchange: ex}
	out.Err = stage.Process(ex)
	switch {
	case out.Err != nil:
		ex.Fail(out.Err)
		out.Ended = true
	case ex.Response.Written():
		out.Ended = true
	default:
		out.HandlerRan = true
		if err := c.handler(ex); err != nil {
			ex.Fail(err)
		}
		if a, ok := stage.(actors.AfterStage); ok {
			a.After(ex)
			out.AfterRan = true
		}
	}
	out.Status, out.Header, out.Body = ex.Response.Status, ex.Response.HeaderIfAny(), ex.Response.Body
	if !ex.Response.Streaming() {
		pipeline.Wrote(&ex.Response, int64(len(out.Body)), nil) // as the ingress does once it has written it
	}
	if out.Header == nil {
		out.Header = http.Header{}
	}
	return out
}

// RunSpec runs the stage a Spec declares: its Stage, or a fresh instance
// from New for a stateful stage.
func RunSpec(t testing.TB, spec *actors.Spec, r *http.Request, opts ...Option) Outcome {
	t.Helper()
	if err := spec.Validate(); err != nil {
		t.Fatalf("stagetest: %v", err)
	}
	st := spec.Stage
	if spec.Kind == actors.Stateful {
		st = spec.New()
	}
	return Run(t, st, r, opts...)
}
