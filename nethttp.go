package troupe

import (
	"bytes"
	"io"
	"net/http"
	"sync"

	"github.com/troupe-go/troupe/actors"
)

// HTTPHandler declares an ordinary http.Handler as a route's handler. It
// runs on the request's own goroutine, like any handler, and may block. It
// gets the request with its body (as the ingress read it, or unread on a
// route that streams its body), and what it writes — status, headers,
// body — becomes the exchange's response, which the stages' after-phases
// then see. The response is buffered; Flush does nothing.
func HTTPHandler(name string, h http.Handler) *actors.Spec {
	return Handler(name, func(ex *actors.Exchange) error {
		w := newCapture()
		h.ServeHTTP(w, requestWithBody(ex))
		w.respond(ex)
		return nil
	})
}

// Middleware declares ordinary net/http middleware — a
// func(http.Handler) http.Handler, as chi and most Go routers take — as a
// stage, for a route, a group or the whole app (Use). It wraps the rest of
// the pipeline as it would wrap the next handler: what it does before
// calling next runs before the later stages; when it calls next, the later
// stages and the handler run; what it does after next returns sees their
// response, written to the ResponseWriter it passed to next (so a status
// recorder records it). If it answers without calling next, its answer is
// the response and nothing later runs. A request it changes (a context
// value, a header) is what the later stages get.
//
// The middleware must call next at most once, and return only after next
// has. It runs on a goroutine of its own for each request — the
// price of letting it hold the rest of the pipeline in a call stack — while
// the request's goroutine runs the pipeline. Its response is buffered:
// Flush does nothing, and a streamed response from a later stage passes
// through without its body being shown to the middleware.
func Middleware(name string, p actors.Priority, mw func(http.Handler) http.Handler) *actors.Spec {
	return Stage(name, p, wrapped{mw: mw, state: actors.NewKey[*wrapCall]("middleware " + name)})
}

// wrapped is the stage Middleware declares.
type wrapped struct {
	mw    func(http.Handler) http.Handler
	state actors.Key[*wrapCall]
}

// wrapCall is one request's run of the middleware, on its own goroutine.
type wrapCall struct {
	w        *capture
	reached  chan *http.Request // the middleware called next, with this request
	returned chan struct{}      // the middleware's ServeHTTP has returned
	resume   chan struct{}      // the pipeline has answered: next may write it and return
	ex       *actors.Exchange
	panicked any // what the middleware panicked with on its goroutine, read once returned is closed
}

// repanic panics on the caller's goroutine — the request's, where the
// stage's supervision catches it — with what the middleware panicked with
// on its own, if it did: a panic there must fail the request, not the
// process.
func (c *wrapCall) repanic() {
	if c.panicked != nil {
		panic(c.panicked)
	}
}

func (s wrapped) Process(ex *actors.Exchange) error {
	c := &wrapCall{w: newCapture(), reached: make(chan *http.Request, 1), returned: make(chan struct{}), resume: make(chan struct{}), ex: ex}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.reached <- r
		<-c.resume
		writeTo(w, &c.ex.Response)
	})
	r := requestWithBody(ex)
	go func() {
		defer close(c.returned)
		defer func() {
			if v := recover(); v != nil && v != http.ErrAbortHandler {
				c.panicked = v
			}
		}()
		s.mw(next).ServeHTTP(c.w, r)
	}()
	select {
	case r2 := <-c.reached:
		ex.Request = r2
		s.state.Set(ex, c)
		return nil
	case <-c.returned: // answered without calling next, or panicked
		c.repanic()
		c.w.respond(ex)
		return nil
	}
}

// After lets the middleware's code after next run, on its goroutine, with
// the pipeline's response, and waits for it: what it writes is the
// response.
func (s wrapped) After(ex *actors.Exchange) {
	c, ok := s.state.Get(ex)
	if !ok {
		return
	}
	stream := ex.Response.Stream
	close(c.resume)
	<-c.returned
	c.repanic()
	c.w.respond(ex)
	if stream != nil && ex.Response.Stream == nil {
		ex.Response.Stream = stream
	}
}

// writeTo writes resp into w, as the pipeline's answer to a middleware's
// next handler. A streamed body is not copied: it stays the exchange's.
func writeTo(w http.ResponseWriter, resp *actors.Response) {
	h := w.Header()
	for k, v := range resp.HeaderIfAny() {
		h[k] = v
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	if resp.Stream == nil && len(resp.Body) > 0 {
		_, _ = w.Write(resp.Body)
	}
}

// requestWithBody returns the exchange's request with its body readable
// again: the ingress has read it into Body, or hands it on as BodyReader.
func requestWithBody(ex *actors.Exchange) *http.Request {
	r := ex.Request
	var body io.Reader = http.NoBody
	switch {
	case ex.BodyReader != nil:
		body = ex.BodyReader
	case len(ex.Body) > 0:
		body = bytes.NewReader(ex.Body)
	}
	r2 := *r
	r2.Body = io.NopCloser(body)
	return &r2
}

// capture is the http.ResponseWriter a net/http handler or middleware
// writes to: it keeps the response for the exchange. It is used by one
// goroutine at a time.
type capture struct {
	mu     sync.Mutex
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func newCapture() *capture { return &capture{header: http.Header{}} }

// Header implements http.ResponseWriter.
func (c *capture) Header() http.Header { return c.header }

// WriteHeader implements http.ResponseWriter: the first status counts.
func (c *capture) WriteHeader(status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.wrote {
		c.status, c.wrote = status, true
	}
}

// Write implements http.ResponseWriter.
func (c *capture) Write(b []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.body.Write(b)
}

// Flush implements http.Flusher; the response is buffered, so it does
// nothing.
func (c *capture) Flush() {}

// respond sets what was written as the exchange's response; nothing
// written is a 200 with no body, as net/http would send.
func (c *capture) respond(ex *actors.Exchange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	status := c.status
	if status == 0 {
		status = http.StatusOK
	}
	ex.Respond(status, "", c.body.Bytes())
	h := ex.Response.Header()
	for k, v := range c.header {
		h[k] = v
	}
}
