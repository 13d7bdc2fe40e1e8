package httpin

import (
	"bufio"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// guardWriter is the http.ResponseWriter of a request behind the connection
// guard. It keeps writes to a minimum rate: before each write of n bytes
// (a piece of at most writePiece) it sets the connection's write deadline
// to now + rate.allow(n), capped at limit (the request's WriteTimeout), so
// that a client that stops reading is cut off after the rate's grace and a
// piece's time rather than at WriteTimeout. And it
// closes the connection after the response when told to (closeConn), with
// Connection: close.
type guardWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	now   func() time.Time
	rate  minRate
	limit time.Time

	closeConn   atomic.Bool // set from any goroutine; read when the header goes
	hijacked    atomic.Bool // the connection is the handler's: hands off its deadlines
	wroteHeader bool
}

// liftLimit removes the cap at WriteTimeout, for a streamed response,
// which its idle timeout and the write rate bound instead.
func (w *guardWriter) liftLimit() { w.limit = time.Time{} }

// WriteHeader implements http.ResponseWriter.
func (w *guardWriter) WriteHeader(code int) {
	if !w.wroteHeader && code >= 200 {
		w.wroteHeader = true
		if w.closeConn.Load() {
			w.Header().Set("Connection", "close") // net/http closes after a response that says so
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// writePiece is the most guardWriter writes under one deadline.
const writePiece = 4 << 10

// Write implements http.ResponseWriter. It writes p in pieces of at most
// writePiece bytes, each under its own deadline.
func (w *guardWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n := 0
	for len(p) > 0 {
		k := min(len(p), writePiece)
		w.arm(k)
		m, err := w.ResponseWriter.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// FlushError flushes the response; http.ResponseController.Flush uses it.
func (w *guardWriter) FlushError() error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.arm(0)
	return w.rc.Flush()
}

// Flush implements http.Flusher.
func (w *guardWriter) Flush() { _ = w.FlushError() }

// Hijack implements http.Hijacker, for handlers that assert it and for
// http.ResponseController.
func (w *guardWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := w.rc.Hijack()
	if err == nil {
		w.hijacked.Store(true)
	}
	return c, rw, err
}

// Unwrap returns the ResponseWriter underneath, for http.ResponseController.
func (w *guardWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// arm sets the write deadline for a write of n bytes, unless the
// connection has been hijacked.
func (w *guardWriter) arm(n int) {
	if w.hijacked.Load() {
		return
	}
	_ = w.rc.SetWriteDeadline(capAt(w.now().Add(w.rate.allow(int64(n))), w.limit)) // ErrNotSupported: nothing to bound
}

// setReadDeadline sets the connection's read deadline, unless it has been
// hijacked.
func (w *guardWriter) setReadDeadline(t time.Time) error {
	if w.hijacked.Load() {
		return nil
	}
	return w.rc.SetReadDeadline(t)
}
