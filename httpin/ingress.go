package httpin

import (
	"context"
	"errors"
	"github.com/troupe-go/troupe/overload"
	"io"
	"math"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/internal/tracing"
	"github.com/troupe-go/troupe/routing"
	"go.uber.org/zap"
)

// Ingress is the http.Handler in front of the pipeline. Each request it
// admits becomes one actors.Exchange on its route's itinerary; the request's
// goroutine waits for the reply and writes it. It is safe for concurrent
// use.
type Ingress struct {
	cfg      Config
	current  atomic.Pointer[Routes] // the generation new requests take (see Swap)
	log      *zap.Logger
	obs      Observer
	ids      *requestIDs
	inFlight atomic.Int64

	// rejections is WithRejections's itinerary, for the first generation.
	rejections *pipeline.Itinerary
	// expire is expired as a func value, made once rather than for each
	// request.
	expire func(*pipeline.Expiry)
	// limiter is the adaptive concurrency limit every routed request
	// passes once its body is in; nil with Config.StaticLimit.
	limiter *overload.Limiter
	// tracer starts each request's server span; nil: tracing is off.
	tracer *tracing.Tracer
}

// IngressOption configures an Ingress.
type IngressOption func(*Ingress)

// WithRejections makes the ingress answer the requests it turns away
// itself (400, 404, 405, 413, a stage down) through it: an itinerary of
// the app's global stages ending in RejectionHandler, so that those
// answers get the same headers and the same access-log line as any other.
// Overload rejections (503 at max_in_flight) skip it, to stay immediate.
// It applies to the routes given to NewIngress; a later generation brings
// its own (NewRoutes).
func WithRejections(it *pipeline.Itinerary) IngressOption {
	return func(in *Ingress) { in.rejections = it }
}

var rejectionKey = actors.NewKey[error]("rejection")

// RejectionHandler returns the handler that ends the itinerary given to
// WithRejections: it fails the exchange with the ingress's rejection.
func RejectionHandler() actors.Stage {
	return actors.StageFunc(func(ex *actors.Exchange) error {
		if err, ok := rejectionKey.Get(ex); ok {
			return err
		}
		return actors.NewError(http.StatusNotFound, "no route matches the path")
	})
}

// NewIngress returns an ingress serving routes. cfg's zero fields take their
// defaults; obs may be nil.
func NewIngress(cfg Config, routes *routing.Table[*Route], log *zap.Logger, obs Observer, opts ...IngressOption) *Ingress {
	if obs == nil {
		obs = nopObserver{}
	}
	in := &Ingress{cfg: cfg.WithDefaults(), log: log, obs: obs, ids: newRequestIDs()}
	in.expire = in.expired
	if !in.cfg.StaticLimit {
		// Validate has refused a bad Overload config; with a config it
		// did not see, fall back to the static limit rather than none.
		if l, err := overload.New(in.cfg.Overload); err == nil {
			in.limiter = l
		} else if log != nil {
			log.Error("the adaptive limit is off: its configuration is invalid", zap.Error(err))
		}
	}
	for _, o := range opts {
		o(in)
	}
	in.current.Store(NewRoutes(routes, in.rejections))
	return in
}

// Limiter returns the ingress's adaptive concurrency limit, for metrics; nil
// if it is off (Config.StaticLimit).
func (in *Ingress) Limiter() *overload.Limiter { return in.limiter }

// InFlight returns the number of requests admitted and not yet answered.
func (in *Ingress) InFlight() int64 { return in.inFlight.Load() }

// ServeHTTP implements http.Handler.
func (in *Ingress) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if in.tracer != nil {
		in.serveTraced(w, r)
		return
	}
	in.serveHTTP(w, r)
}

// serveHTTP answers r: ServeHTTP without tracing, or within its server
// span.
func (in *Ingress) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get(RequestIDHeader)
	if !validRequestID(id) {
		id = in.ids.next()
	}
	if in.inFlight.Add(1) > int64(in.cfg.MaxInFlight) {
		in.inFlight.Add(-1)
		in.reject(w, r, nil, id, "", RejectOverload, &actors.Error{
			Status: http.StatusServiceUnavailable, Detail: "the server is at its in-flight limit", RetryAfter: time.Second,
		}, start)
		return
	}
	defer in.inFlight.Add(-1)
	// The generation of routes this request runs on, to the end.
	rs := in.acquire()
	defer rs.release()

	m, outcome := rs.table.Lookup(r.Method, r.URL.EscapedPath())
	switch outcome {
	case routing.BadPath:
		in.reject(w, r, rs, id, "", RejectBadPath, actors.NewError(http.StatusBadRequest, "the request path is malformed"), start)
		return
	case routing.NotFound:
		in.reject(w, r, rs, id, "", RejectNotFound, actors.NewError(http.StatusNotFound, "no route matches the path"), start)
		return
	case routing.MethodNotAllowed:
		if r.Method != http.MethodOptions {
			in.rejectWith(w, r, rs, id, "", RejectMethod, actors.Errorf(http.StatusMethodNotAllowed, "method %s is not allowed here", r.Method), start,
				"Allow", m.Allow+", OPTIONS") // OPTIONS is answered on every route
			return
		}
		allow := m.Allow + ", OPTIONS"
		target := r.Header.Get("Access-Control-Request-Method")
		pm, found := routing.Match[*Route]{}, routing.NotFound
		if target != "" && r.Header.Get("Origin") != "" {
			pm, found = rs.table.Lookup(target, r.URL.EscapedPath())
		}
		if found != routing.Found { // plain OPTIONS, or a preflight for a method the path lacks
			w.Header().Set("Allow", allow)
			status, _ := writeResponse(w, r, id, &actors.Response{Status: http.StatusNoContent}, 0)
			in.obs.Observe("", r.Method, status, time.Since(start))
			return
		}
		// A CORS preflight: run the stages of the route it asks about, so
		// that the route's CORS stage answers it, but not the handler.
		in.serve(w, r, rs, id, pm, allow, start)
		return
	}
	in.serve(w, r, rs, id, m, "", start)
}

// serve runs the matched route's pipeline and writes its answer. preflight
// is the Allow list of a CORS preflight, or "". rs is the generation the
// route is from.
func (in *Ingress) serve(w http.ResponseWriter, r *http.Request, rs *Routes, id string, m routing.Match[*Route], preflight string, start time.Time) {
	rt := m.Value

	body, stream, err := in.readBody(r, rt)
	if err != nil {
		reason := RejectBadBody
		switch actors.ErrorStatus(err) {
		case http.StatusRequestEntityTooLarge:
			reason = RejectBodyTooBig
		case http.StatusServiceUnavailable: // no in-flight place once the body was in
			reason = RejectOverload
		}
		in.reject(w, r, rs, id, rt.Pattern, reason, err, start)
		return
	}

	timeout := rt.Timeout
	if timeout == 0 {
		timeout = in.cfg.RequestTimeout
	}
	ex := pipeline.NewExchange(r.Context(), r, rt.Itinerary)
	ex.Body, ex.Route, ex.Path, ex.Params, ex.RequestID = body, rt.Pattern, m.Path, m.Params, id
	traceExchange(w, ex)
	if stream != nil {
		ex.BodyReader = stream
		// Full duplex: the handler (a proxy sending the body upstream) may
		// still be reading the body when the ingress writes the response.
		// Without it, net/http would read and discard what is left of the
		// body as the header goes out, on this goroutine, under the
		// handler's reads, which could then end in a clean io.EOF with part
		// of the body missing. net/http closes the body once ServeHTTP has
		// returned and the response is flushed, and reads after that fail
		// (ErrBodyReadAfterClose) rather than end. HTTP/2 is full duplex
		// already, and says so with an error here.
		_ = http.NewResponseController(w).EnableFullDuplex()
	}
	if rt.StreamBody {
		// A streamed upload may take until the route's deadline, not just
		// the server's read_timeout, as long as it keeps to the minimum
		// rate.
		if rb, ok := r.Body.(*rateBody); ok {
			rb.extendLimit(start.Add(timeout))
		}
	}
	ex.Start, ex.Deadline = start, start.Add(timeout)
	if preflight != "" {
		ex.SetPreflight(preflight)
	}
	// This goroutine drives the exchange through the pipeline: the
	// stateless stages run right here, and only stateful ones hand it to
	// an actor and back. At the deadline, a timer answers 504 while a
	// stage may still be running; Serve returns once it has.
	// The adaptive limit: admitted now, queued for a short while, or
	// refused at once. The permit ends when the pipeline has answered, so
	// its duration is the service time, not the client's download.
	var permit overload.Permit
	class := in.class(r, rt.Class)
	if in.limiter != nil {
		permit, err = rt.workload(in.limiter).AcquireUntil(r.Context(), class, ex.Deadline)
		if err != nil {
			in.refuse(w, r, rs, id, rt.Pattern, err, start)
			return
		}
	}
	if body, ok := stream.(*requestStream); ok {
		pipeline.Attach(ex, &streamed{w, body})
	} else {
		pipeline.Attach(ex, w)
	}
	pipeline.SetClass(ex, class)
	outcome := rt.Itinerary.Serve(ex, in.expire)
	switch outcome {
	case pipeline.Answered:
		switch {
		case pipeline.Shed(ex): // a stage's queue refused it for load
			permit.Drop()
		case ex.Response.Status == http.StatusGatewayTimeout:
			// Something the request waited on ran out of time (an
			// upstream's deadline): its length is the deadline's, not a
			// service time, and it says nothing of this server's load.
			permit.Ignore()
		default:
			permit.Release()
		}
	case pipeline.Expired: // the deadline passed: a sign of load
		permit.Drop()
	default: // refused before any work, or the client left: says nothing of the load
		permit.Ignore()
	}
	switch outcome {
	case pipeline.Refused: // a stage it needs is down: 503, answered as the ingress's other refusals
		err := rt.Itinerary.Down()
		if err == nil { // it came back meanwhile; the refusal stands
			err = &actors.Error{Status: ex.Response.Status, Detail: "a stage this route needs is down", RetryAfter: time.Second}
		}
		in.reject(w, r, rs, id, rt.Pattern, RejectStageDown, err, start)
		return
	case pipeline.Expired:
		ex.Response.DropStream() // the client has its 504
		return
	case pipeline.Gone:
		ex.Response.DropStream()
		in.obs.Rejected(RejectClientGone)
		in.obs.Observe(rt.Pattern, r.Method, 499, time.Since(start))
		return
	}
	if ex.Response.Stream != nil {
		// A streamed response is bounded by its idle timeout and the write
		// rate, not by write_timeout.
		if gw := guardOf(w); gw != nil {
			gw.liftLimit()
		}
	}
	status, err := writeResponse(w, r, id, &ex.Response, in.cfg.StreamIdleTimeout)
	in.obs.Observe(rt.Pattern, r.Method, status, time.Since(start))
	if err != nil {
		// The body was cut short after its header had gone: end the
		// connection without the end of the body (the last chunk), as
		// httputil.ReverseProxy does, so the client sees an error.
		panic(http.ErrAbortHandler)
	}
}

// expired answers a request whose deadline passed before its pipeline
// answered: 504, at once, while a stage may still be running on the
// request's goroutine. It runs on the deadline watch's goroutine, the one
// writer of the response from then on, and reads only the watch's copy of
// the exchange (the exchange belongs to whichever stage holds it), with the
// ResponseWriter the ingress attached to it. The answer carries its length,
// so the client has all of it now, and closes the connection, which the
// request's goroutine holds until the stage returns. It carries the fixed
// headers of the route's stages (pipeline.FixedHeaderStage): the headers
// its stages set on the exchange are out of reach.
func (in *Ingress) expired(e *pipeline.Expiry) {
	w, r := attachedWriter(e.Attached), e.Request
	in.obs.Rejected(RejectDeadline)
	ex := actors.Exchange{Request: r, RequestID: e.RequestID}
	h := ex.Response.Header()
	for k, v := range e.Fixed {
		h[k] = slices.Clone(v) // the itinerary's own slices stay untouched
	}
	ex.Fail(actors.Errorf(http.StatusGatewayTimeout, "the request did not complete within %s", e.Deadline.Sub(e.Start).Round(time.Millisecond)))
	h.Set("Content-Length", strconv.Itoa(len(ex.Response.Body)))
	h.Set("Connection", "close")
	status, _ := writeResponse(w, r, e.RequestID, &ex.Response, 0)
	_ = http.NewResponseController(w).Flush()
	in.obs.Observe(e.Route, r.Method, status, time.Since(e.Start))
}

// readBody reads the request body in full, up to the route's limit; on a
// route that streams its body, it returns the body unread instead, as a
// reader that keeps to the limit.
//
// The body is read outside admission: the request gives its in-flight
// place back while its body arrives, and takes one again once it is in (a
// 503 if there is none then), so that clients sending bodies slowly cannot
// hold the in-flight limit between them. A streamed body is read while in
// flight; Server's connection guard cuts off a body that arrives slower
// than Config.MinBodyRate, either way.
func (in *Ingress) readBody(r *http.Request, rt *Route) ([]byte, io.Reader, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil, nil
	}
	limit := rt.MaxBodyBytes
	if limit == 0 {
		limit = in.cfg.MaxBodyBytes
	}
	if r.ContentLength > limit {
		return nil, nil, tooLarge(limit)
	}
	if rt.StreamBody {
		return nil, newRequestStream(r.Body, limit), nil
	}
	limit = min(limit, math.MaxInt64-1) // limit+1 below must not overflow
	in.inFlight.Add(-1)
	var body []byte
	var err error
	if r.ContentLength >= 0 {
		body, err = readN(r.Body, r.ContentLength)
	} else {
		body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err == nil && int64(len(body)) > limit {
			err = tooLarge(limit)
		}
	}
	// Admitted again whatever happened: ServeHTTP gives the place back.
	if in.inFlight.Add(1) > int64(in.cfg.MaxInFlight) && err == nil {
		err = &actors.Error{Status: http.StatusServiceUnavailable, Detail: "the server is at its in-flight limit", RetryAfter: time.Second}
	}
	switch {
	case err == nil:
		return body, nil, nil
	case errors.As(err, new(*actors.Error)):
		return nil, nil, err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, nil, &actors.Error{Status: http.StatusRequestTimeout, Detail: "the request body was not received in time", Err: err}
	default:
		return nil, nil, &actors.Error{Status: http.StatusBadRequest, Detail: "the request body could not be read", Err: err}
	}
}

// class returns r's criticality: the route's, unless the criticality
// header (Config.CriticalityHeader) names another and r's peer may set it:
// a trusted peer any class, anyone "sheddable".
func (in *Ingress) class(r *http.Request, route overload.Class) overload.Class {
	if in.cfg.CriticalityHeader == "" {
		return route
	}
	v := r.Header.Get(in.cfg.CriticalityHeader)
	if v == "" {
		return route
	}
	c, err := overload.ParseClass(strings.ToLower(strings.TrimSpace(v)))
	if err != nil {
		return route
	}
	if c == overload.Sheddable || in.trusted(r) {
		return c
	}
	return route
}

// trusted reports whether r's peer is in Config.CriticalityTrusted.
func (in *Ingress) trusted(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap()
	for _, p := range in.cfg.CriticalityTrusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// refuse answers a request the adaptive limit refused: 503 at once, with
// the Retry-After the limiter computed and the reason in the problem's
// detail. It does not pass through the rejections itinerary: under
// overload a refusal must cost next to nothing.
func (in *Ingress) refuse(w http.ResponseWriter, r *http.Request, rs *Routes, id, route string, err error, start time.Time) {
	rej := err.(*overload.Rejection)           // Acquire's only error
	if rej.Reason == overload.ReasonCanceled { // the client left while it waited
		in.obs.Rejected(RejectClientGone)
		in.obs.Observe(route, r.Method, 499, time.Since(start))
		return
	}
	detail := "the server is overloaded (" + rej.Reason.String() + "): try again later"
	if rej.Reason == overload.ReasonDeadline {
		detail = "the request could not be served within its deadline: the server now takes longer than the time it has left"
	}
	in.reject(w, r, rs, id, route, RejectOverload, &actors.Error{
		Status:     rej.Status(), // 503; 504 for a deadline it could not meet
		Detail:     detail,
		RetryAfter: rej.RetryAfter,
		Err:        err,
	}, start)
}

// reject answers a request that did not get through, with a problem body,
// through the rejections of rs (nil before a generation is taken).
func (in *Ingress) reject(w http.ResponseWriter, r *http.Request, rs *Routes, id, route string, reason Rejection, err error, start time.Time) {
	in.rejectWith(w, r, rs, id, route, reason, err, start)
}

// rejectWith is reject with header, pairs of names and values, set on the
// answer. Through the rejections itinerary, when there is one, except for
// overload, which must stay immediate.
func (in *Ingress) rejectWith(w http.ResponseWriter, r *http.Request, rs *Routes, id, route string, reason Rejection, err error, start time.Time, header ...string) {
	in.obs.Rejected(reason)
	traceRoute(w, route)
	if rs == nil || rs.rejections == nil || reason == RejectOverload {
		ex := actors.Exchange{Request: r, RequestID: id}
		ex.Fail(err)
		for i := 0; i+1 < len(header); i += 2 {
			ex.Response.Header().Set(header[i], header[i+1])
		}
		status, _ := writeResponse(w, r, id, &ex.Response, 0)
		in.obs.Observe(route, r.Method, status, time.Since(start))
		return
	}
	// Not the request's context: a rejection is written whether or not the
	// client is still there (a body cut off for its slowness has ended the
	// request's context, and the 408 is for it).
	ex := pipeline.NewExchange(context.WithoutCancel(r.Context()), r, rs.rejections)
	// The rejection's own deadline counts from now: reading a slow body
	// may have taken longer than a request's whole deadline.
	ex.RequestID, ex.Route, ex.Path, ex.Start, ex.Deadline = id, route, r.URL.Path, start, time.Now().Add(in.cfg.RequestTimeout)
	rejectionKey.Set(ex, err)
	traceExchange(w, ex)
	pipeline.Attach(ex, w)
	if rs.rejections.Serve(ex, in.expire) == pipeline.Expired {
		ex.Response.DropStream()
		return
	}
	h := ex.Response.Header()
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	status, _ := writeResponse(w, r, id, &ex.Response, 0)
	in.obs.Observe(route, r.Method, status, time.Since(start))
}

// writeResponse writes resp, the one response of the request, and returns
// its status. A streamed body (resp.Stream) is copied and closed; the error
// is what cut it short, after the header had gone: the caller aborts the
// connection, so that the client cannot take a truncated body for a whole
// one.
func writeResponse(w http.ResponseWriter, r *http.Request, id string, resp *actors.Response, idle time.Duration) (int, error) {
	h := w.Header()
	for k, v := range resp.HeaderIfAny() {
		h[k] = v
	}
	h[requestIDKey] = []string{id}
	if len(resp.Body) > 2048 && resp.Stream == nil { // below this net/http computes it itself
		h["Content-Length"] = []string{strconv.Itoa(len(resp.Body))}
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	if status < 200 || status > 599 {
		// net/http panics on a status outside 100–999 and treats 1xx as
		// informational: neither can be the one response of a request.
		resp.DropStream()
		ex := actors.Exchange{RequestID: id}
		ex.Fail(actors.Errorf(http.StatusInternalServerError, "the handler answered with the invalid status %d", status))
		resp, status = &ex.Response, http.StatusInternalServerError
		clear(h)
		for k, v := range resp.HeaderIfAny() {
			h[k] = v
		}
		h[requestIDKey] = []string{id}
	}
	if resp.Stream != nil {
		if r.Method == http.MethodHead || !bodyAllowed(status) {
			resp.DropStream()
		} else {
			announceTrailers(h, resp.Trailer)
		}
	}
	w.WriteHeader(status)
	if resp.Stream != nil {
		_, sized := h["Content-Length"]
		return status, writeStream(w, resp, !sized, idle)
	}
	var n int
	var err error
	if len(resp.Body) > 0 {
		// A failed write means the client is gone or stopped reading. (A body
		// that fits net/http's 4 KiB buffer fails, if at all, only after
		// ServeHTTP returns: flushing here to learn of it would cost a
		// system call per response and chunked framing.)
		n, err = w.Write(resp.Body)
	}
	pipeline.Wrote(resp, int64(n), err)
	return status, nil
}

// bodyAllowed reports whether a response of status may have a body.
func bodyAllowed(status int) bool {
	return status != http.StatusNoContent && status != http.StatusNotModified && (status < 100 || status > 199)
}
