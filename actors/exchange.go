package actors

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/troupe-go/troupe/routing"
)

// Exchange is the message that carries one HTTP request through a pipeline:
// the request, the response being built, per-request values, the request id,
// the deadline, the itinerary and the reply address.
//
// An Exchange belongs to one stage at a time: the actor that holds it may
// read and change it freely, then hands it on. Its context is the request's
// own (with the deadline applied), the one documented exception to keeping
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
	// Deadline is when the ingress stops waiting and answers 504.
	Deadline time.Time
	// Response is the response being built.
	Response Response

	parent    context.Context
	ctx       context.Context    // parent with Deadline applied, made on first use
	cancel    context.CancelFunc // releases ctx's timer early; the parent's end releases it anyway
	values    []value
	itinerary *Itinerary
	hop       int                        // index of the hop that holds the exchange
	running   int                        // 1 + the index in that hop of the stage whose Process runs; 0 outside Process
	susp      *Suspension                // set once, by Suspend; never cleared
	returning bool                       // visiting after-phases on the way back
	timing    bool                       // record stage durations into timings
	timings   []StageTiming              // per stage, in the order they first ran
	preflight string                     // for a CORS preflight: the Allow list; "" otherwise
	expiry    atomic.Pointer[time.Timer] // set by Shorten; stopped by Release
	state     atomic.Uint32
	done      chan struct{}
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
	stateAbandoned
	stateExpired // a Shorten deadline passed first: the ingress answers 504
)

// NewExchange returns an exchange for r that will follow itinerary. ctx is
// the request's context, normally r.Context(); if it has a deadline, that
// is the exchange's Deadline. The ingress sets Deadline itself.
func NewExchange(ctx context.Context, r *http.Request, it *Itinerary) *Exchange {
	ex := &Exchange{
		Request:   r,
		parent:    ctx,
		itinerary: it,
		done:      make(chan struct{}),
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
	return ex.ctx
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

// Done is closed when the exchange has been answered: its Response is then
// final and belongs to the caller of Done.
func (ex *Exchange) Done() <-chan struct{} { return ex.done }

// Abandon tells the pipeline that nobody waits for this exchange any more
// (the client went away, or the ingress answered 504). It returns false if
// the exchange was settled first: answered (the caller must then use the
// response) or expired (see Expired; the caller answers 504).
func (ex *Exchange) Abandon() bool {
	return ex.state.CompareAndSwap(statePending, stateAbandoned)
}

// Settled reports whether the exchange has been answered or abandoned.
func (ex *Exchange) Settled() bool { return ex.state.Load() != statePending }

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
	t := time.AfterFunc(time.Until(d), ex.expire)
	if old := ex.expiry.Swap(t); old != nil {
		old.Stop()
	}
}

// expire ends the wait for the exchange at its shortened deadline.
func (ex *Exchange) expire() {
	if ex.state.CompareAndSwap(statePending, stateExpired) {
		close(ex.done)
	}
}

// Expired reports whether the exchange ended because a deadline set with
// Shorten passed before it was answered. The ingress answers it 504.
func (ex *Exchange) Expired() bool { return ex.state.Load() == stateExpired }

// Release frees what the exchange holds once its response is written: the
// timer of a shortened deadline. The ingress calls it.
func (ex *Exchange) Release() {
	if t := ex.expiry.Load(); t != nil {
		t.Stop()
	}
}

// reply hands the exchange back to the ingress, once. A reply to an
// abandoned or already answered exchange is dropped, with its stream.
func (ex *Exchange) reply() {
	if ex.state.CompareAndSwap(statePending, stateReplied) {
		close(ex.done)
		return
	}
	if s := ex.state.Load(); s == stateAbandoned || s == stateExpired {
		ex.Response.DropStream() // nobody will write it
	}
}
