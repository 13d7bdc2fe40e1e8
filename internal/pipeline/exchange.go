package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/troupe-go/troupe/internal/tracing"
	"github.com/troupe-go/troupe/overload"
	"github.com/troupe-go/troupe/routing"
)

// Exchange is the message that carries one HTTP request through a pipeline:
// the request, the response being built, per-request values, the request id,
// the deadline and the itinerary.
//
// An Exchange has exactly one owner at a time: the request's own goroutine,
// which drives it along its itinerary, or the one stage actor it has been
// handed to (a Stateful stage), which hands it back when its stage is done.
// The owner may read and change it freely. Its context is the request's own
// (with the deadline applied), the one documented exception to keeping
// contexts out of structs, as with http.Request.
//
// The zero value is not usable; the ingress builds exchanges with
// NewExchange.
type Exchange struct {
	// Request is the incoming request. Its body has already been read into
	// Body by the ingress, or is handed on as BodyReader; stages must not
	// read Request.Body.
	Request *http.Request
	// Body is the request body, read in full by the ingress (bounded by the
	// route's body limit). It is nil on a route that streams its body.
	Body []byte
	// BodyReader is the request body, unread, on a route that streams its
	// body (a reverse proxy sends it on as it arrives): nil on other routes.
	// It stops with an *Error past the route's body limit (413), or when
	// the client is too slow (408) or breaks off (400). Only the handler
	// reads it, and only until it answers.
	BodyReader io.Reader
	// Route is the pattern of the matched route, e.g. "/items/{id}".
	Route string
	// Path is the canonical path the route was matched on: normalised, so
	// that "//a/./b/../c" is "/a/c". Decide on paths with it rather than
	// Request.URL.Path, which is the client's spelling.
	Path string
	// Params are the path parameters of the matched route.
	Params routing.Params
	// RequestID identifies the request in logs and error bodies.
	RequestID string
	// Start is when the ingress admitted the request.
	Start time.Time
	// Deadline is when the client gets 504 if the pipeline has not
	// answered. Stages lower it with Shorten.
	Deadline time.Time
	// Response is the response being built.
	Response Response

	parent    context.Context
	ctx       context.Context    // parent with Deadline applied, made on first use
	cancel    context.CancelFunc // releases ctx's timer early; the parent's end releases it anyway
	values    []value
	itinerary *Itinerary
	hop       int             // index of the hop the exchange is at
	completed int             // stages of that hop whose Process completed without ending the exchange
	running   int             // 1 + the index in that hop of the stage whose Process runs; 0 outside Process
	returning bool            // at a Stateful hop for its after-phase
	wake      chan struct{}   // a Stateful actor hands the exchange back on it; taken from wakes on the first such visit
	wakeLost  bool            // an actor may still send on wake: it must not be reused
	attached  any             // the ingress's own data for the exchange (Attach)
	class     overload.Class  // its criticality, for the stages' concurrency queues (SetClass)
	permit    overload.Permit // the slot of the stage that runs now, if it has a concurrency cap
	shed      bool            // a stage's concurrency queue refused it for load (Shed)
	timing    bool            // record stage durations into timings
	timings   []StageTiming   // per stage, in the order they first ran
	preflight string          // for a CORS preflight: the Allow list; "" otherwise
	cause     error           // what made the response a 5xx, to log once; nil if logged or nothing to say

	trace *tracing.Request // the request's spans if it is traced; nil otherwise (SetTrace)

	state      atomic.Uint32
	watch      *watch        // the deadline watch, armed by Serve
	onExpire   func(*Expiry) // called once, from the timer's goroutine, if the deadline wins
	expireDone chan struct{} // closed once onExpire has returned; set before the state turns expired
}

// StageTiming is how long one stage took on one exchange: its Process and
// its after-phase, added together.
type StageTiming struct {
	Stage    string
	Duration time.Duration
}

// EnableTiming makes the stages that run from now on record how long they
// take; Timings returns the figures. The timing stage turns it on for
// Server-Timing. Off by default: it costs two clock reads per stage.
func (ex *Exchange) EnableTiming() { ex.timing = true }

// Timings returns the recorded stage durations, in the order the stages
// first ran. The slice belongs to the exchange.
func (ex *Exchange) Timings() []StageTiming { return ex.timings }

// addTiming adds d to the stage's figure.
func (ex *Exchange) addTiming(stage string, d time.Duration) {
	for i := len(ex.timings) - 1; i >= 0; i-- {
		if ex.timings[i].Stage == stage {
			ex.timings[i].Duration += d
			return
		}
	}
	ex.timings = append(ex.timings, StageTiming{Stage: stage, Duration: d})
}

const (
	statePending uint32 = iota
	stateReplied
	stateAbandoned // the client went away first
	stateExpired   // the deadline passed first: the client got 504
)

// NewExchange returns an exchange for r that will follow itinerary. ctx is
// the request's context, normally r.Context(); if it has a deadline, that
// is the exchange's Deadline. The ingress sets Deadline itself. Nothing
// happens until the itinerary's Serve runs it.
func NewExchange(ctx context.Context, r *http.Request, it *Itinerary) *Exchange {
	ex := &Exchange{
		Request:   r,
		parent:    ctx,
		itinerary: it,
	}
	if d, ok := ctx.Deadline(); ok {
		ex.Deadline = d
	}
	return ex
}

// Context returns the request's context: cancelled when the client goes
// away, and past its deadline when Deadline passes. Stages that call out
// pass it on.
//
// It is made on first use, so that requests whose stages never ask for it
// do not pay for a timer.
func (ex *Exchange) Context() context.Context {
	if ex.ctx == nil {
		ex.ctx = ex.parent
		if d, ok := ex.parent.Deadline(); !ex.Deadline.IsZero() && (!ok || ex.Deadline.Before(d)) {
			ex.ctx, ex.cancel = context.WithDeadline(ex.parent, ex.Deadline)
		}
	}
	if ex.trace != nil {
		return ex.trace.Context(ex.ctx) // carries the span of the hop it is in
	}
	return ex.ctx
}

// ClientContext returns the request's own context, without the exchange's
// deadline: it ends when the client goes away, or the request is over,
// not at Deadline. It is for work that may rightly outlive the deadline
// once the pipeline has answered in time — the body of a streamed response
// (the reverse proxy's) — never for the wait for the answer itself, which
// Context bounds. The client still gets 504 at the deadline if the
// pipeline has not answered by then.
func (ex *Exchange) ClientContext() context.Context {
	if ex.trace != nil {
		return ex.trace.Context(ex.parent) // carries the span of the hop it is in
	}
	return ex.parent
}

// Respond sets the response and ends the exchange early: no later stage's
// Process runs, though earlier stages' after-phases do. A handler calls it
// to answer. status is 200 to 599; 0 means 200. Anything else reaches the
// client as a 500.
func (ex *Exchange) Respond(status int, contentType string, body []byte) {
	if status == 0 {
		status = http.StatusOK
	}
	ex.Response.DropStream()
	ex.Response.Status = status
	if contentType != "" {
		ex.Response.Header().Set("Content-Type", contentType)
	}
	ex.Response.Body = body
}

// RespondStream responds as Respond does, with body copied to the client
// as it is read, after the pipeline has answered: the ingress then closes
// it (and so does the exchange, if its answer is never written). Set
// Response.Trailer for trailers. Use it for bodies too large to hold, or
// that arrive over time; stages that rewrite bodies leave it alone.
func (ex *Exchange) RespondStream(status int, contentType string, body io.ReadCloser) {
	ex.Respond(status, contentType, nil)
	ex.Response.Stream = body
}

// JSON responds with v encoded as JSON.
func (ex *Exchange) JSON(status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ex.Respond(status, "application/json", b)
	return nil
}

// Fail replaces the response with the problem document for err (see
// ErrorStatus) and ends the exchange early. The client sees the Detail of
// the *Error in err's chain, never the text of err itself. Headers earlier stages set
// (CORS, security headers) stay, except those that describe the old body.
func (ex *Exchange) Fail(err error) {
	status := ErrorStatus(err)
	// Only an *Error's Detail reaches the client: the text of the errors
	// wrapping it, or of any other error, may hold internals.
	detail := ""
	var retry time.Duration
	if e, ok := errors.AsType[*Error](err); ok && e.Status == status {
		detail, retry = e.Detail, e.RetryAfter
	} else if status == http.StatusGatewayTimeout {
		detail = "the request ran out of time"
	}
	ex.cause = nil
	if status >= 500 && hasCause(err) {
		ex.cause = err // the client sees only the detail: the log gets the rest
	}
	ex.Response.DropStream()
	ex.Response.Status = status
	ex.Response.Body = ProblemBody(status, detail, ex.path(), ex.RequestID)
	h := ex.Response.Header()
	for _, k := range bodyHeaders {
		delete(h, k)
	}
	h.Set("Content-Type", ProblemContentType)
	if retry > 0 {
		h.Set("Retry-After", RetryAfterSeconds(retry))
	}
}

// bodyHeaders describe a response body; Fail drops them with the body.
var bodyHeaders = []string{"Content-Length", "Content-Encoding", "Content-Range", "Etag", "Last-Modified"}

func (ex *Exchange) path() string {
	if ex.Request == nil || ex.Request.URL == nil {
		return ""
	}
	return ex.Request.URL.Path
}

// RetryAfterSeconds renders d as a Retry-After value: whole seconds, rounded
// up, at least 1.
func RetryAfterSeconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}

// Expired reports whether the deadline passed before the pipeline
// answered: the client got 504 from the ingress, whatever the pipeline
// answers later. An after-phase (an access log) reads it to say what the
// client saw.
func (ex *Exchange) Expired() bool { return ex.state.Load() == stateExpired }

// ClientGone reports whether the client went away before the pipeline
// answered: nobody reads the response.
func (ex *Exchange) ClientGone() bool { return ex.state.Load() == stateAbandoned }

// settled reports whether the exchange has been answered, abandoned or
// expired: no stage's Process runs on it any more.
func (ex *Exchange) settled() bool { return ex.state.Load() != statePending }

// SetPreflight marks the exchange as a CORS preflight (OPTIONS with
// Access-Control-Request-Method) travelling the itinerary of the route it
// asks about: its stages run, so that a CORS stage can answer it, but the
// handler never does; if no stage answers, the exchange is answered 204
// with Allow set to allow. The ingress calls it.
func (ex *Exchange) SetPreflight(allow string) { ex.preflight = allow }

// Preflight reports whether the exchange is a CORS preflight (see
// SetPreflight).
func (ex *Exchange) Preflight() bool { return ex.preflight != "" }

// Shorten lowers the exchange's deadline to d, if d is earlier: at d the
// client gets 504, wherever the exchange is then, and Context (when made
// from now on) carries the new deadline. A timeout stage calls it.
func (ex *Exchange) Shorten(d time.Time) {
	if !ex.Deadline.IsZero() && !d.Before(ex.Deadline) {
		return
	}
	ex.Deadline = d
	if ex.ctx != nil && ex.cancel != nil {
		ex.cancel() // releases the old context's timer; holders of it see it end
	}
	ex.ctx, ex.cancel = nil, nil
	if ex.watch != nil {
		ex.watch.move(d)
	}
}

// expire is the deadline watch: it settles the exchange as expired, unless
// it was settled first, and lets the ingress answer 504. It runs on the
// timer's own goroutine, while the exchange's owner may still be inside a
// stage: onExpire gets the watch's copy of what it may read.
func (ex *Exchange) expire(info *Expiry) {
	ex.expireDone = make(chan struct{})
	if !ex.state.CompareAndSwap(statePending, stateExpired) {
		return
	}
	defer close(ex.expireDone)
	if ex.onExpire != nil {
		ex.onExpire(info)
	}
}

// abandon settles the exchange as abandoned (the client went away), unless
// it was settled first.
func (ex *Exchange) abandon() bool {
	if ex.state.CompareAndSwap(statePending, stateAbandoned) {
		return true
	}
	return false
}

// reply settles the exchange as answered, unless it was settled first; a
// response nobody will write is dropped, with its stream.
func (ex *Exchange) reply() bool {
	if ex.state.CompareAndSwap(statePending, stateReplied) {
		return true
	}
	ex.Response.DropStream()
	return false
}

// Attach keeps v with ex for whoever drives it: the ingress keeps the
// request's ResponseWriter there, so that its deadline callback, made once
// per route, needs no closure per request. Stages cannot reach it.
func Attach(ex *Exchange, v any) { ex.attached = v }

// SetClass sets ex's criticality: under overload, a stage's concurrency
// queue serves critical exchanges first and refuses sheddable ones first.
// The ingress sets the route's.
func SetClass(ex *Exchange, c overload.Class) { ex.class = c }

// Shed reports whether a stage's concurrency queue refused ex for load:
// for the ingress's adaptive limit, a sign of load rather than a service
// time.
func Shed(ex *Exchange) bool { return ex.shed }

// Attached returns what Attach kept with ex, or nil.
func Attached(ex *Exchange) any { return ex.attached }
