package httpin

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/troupe-go/troupe/actors"
)

// requestStream is the request body of a route that streams it, as
// Exchange.BodyReader: r.Body, cut off past limit with a 413, its errors
// turned into *actors.Error (408 for a client too slow, 400 for one that
// broke off). Unlike http.MaxBytesReader it never touches the
// ResponseWriter, which belongs to the ingress's goroutine while the
// handler reads on another.
type requestStream struct {
	body  io.Reader
	limit int64
	left  int64 // bytes still allowed; the reader asks for one more to see an excess
	err   error // sticky
	// answered is set once the deadline's 504 has been written while the
	// handler may still read: from then on every read fails, so that
	// what the client sends after the answer is never taken for the end
	// of the body.
	answered atomic.Bool
}

// errAnswered is the error of a read after the request was answered.
var errAnswered = &actors.Error{Status: http.StatusGatewayTimeout, Detail: "the request was answered before its body was read"}

// streamed is what the ingress attaches to an exchange whose route streams
// its body: its ResponseWriter, and the body, for the deadline to cut.
type streamed struct {
	w      http.ResponseWriter
	stream *requestStream
}

// attachedWriter returns the ResponseWriter the ingress attached to an
// exchange, cutting off its streamed body if it has one: the deadline's
// 504 is about to be written.
func attachedWriter(a any) http.ResponseWriter {
	if s, ok := a.(*streamed); ok {
		s.stream.answered.Store(true)
		return s.w
	}
	return a.(http.ResponseWriter)
}

func newRequestStream(body io.Reader, limit int64) *requestStream {
	return &requestStream{body: body, limit: limit, left: limit}
}

// Read implements io.Reader.
func (s *requestStream) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.answered.Load() {
		s.err = errAnswered
		return 0, s.err
	}
	if s.left < math.MaxInt64 && int64(len(p)) > s.left+1 {
		p = p[:s.left+1]
	}
	n, err := s.body.Read(p)
	if s.answered.Load() { // answered while this read waited
		s.err = errAnswered
		return 0, s.err
	}
	if int64(n) > s.left {
		n, err = int(s.left), tooLarge(s.limit)
	}
	s.left -= int64(n)
	switch {
	case err == nil || err == io.EOF:
	case errors.As(err, new(*actors.Error)):
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = &actors.Error{Status: http.StatusRequestTimeout, Detail: "the request body was not received in time", Err: err}
	default:
		err = &actors.Error{Status: http.StatusBadRequest, Detail: "the request body could not be read", Err: err}
	}
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// tooLarge is the error of a body past limit bytes.
func tooLarge(limit int64) error {
	return actors.Errorf(http.StatusRequestEntityTooLarge, "the request body is larger than %d bytes", limit)
}

// copyBuffers are the buffers streamed response bodies are copied through.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// writeStream writes the body of a streamed response, whose header is
// written, and then its trailers; it closes the stream. flush says to
// flush after every read: for a body of unknown length, which may arrive
// over time (server-sent events, a long poll), as httputil.ReverseProxy
// does. It returns the error that cut the body short, if any.
func writeStream(w http.ResponseWriter, resp *actors.Response, flush bool, idle time.Duration) error {
	stream := &idleStream{ReadCloser: resp.Stream}
	defer stream.Close()
	if idle > 0 {
		stream.idle = time.AfterFunc(idle, stream.expire)
		stream.idle.Stop()
	}
	rc := http.NewResponseController(w)
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	var err error
	for {
		n, rerr := stream.read(*buf, idle)
		if n > 0 {
			if _, werr := w.Write((*buf)[:n]); werr != nil {
				return werr
			}
			if flush {
				if ferr := rc.Flush(); ferr != nil && !errors.Is(ferr, http.ErrNotSupported) {
					return ferr
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = rerr
			if stream.expired.Load() {
				err = fmt.Errorf("the stream gave nothing for %s: %w", idle, rerr)
			}
			break
		}
	}
	if err != nil {
		return err
	}
	h := w.Header()
	for k, vs := range resp.Trailer {
		if len(vs) > 0 {
			h[http.TrailerPrefix+k] = vs
		}
	}
	return nil
}

// announceTrailers sets the Trailer header to the keys of trailer.
func announceTrailers(h http.Header, trailer http.Header) {
	if len(trailer) == 0 {
		return
	}
	keys := make([]string, 0, len(trailer))
	for k := range trailer {
		keys = append(keys, http.CanonicalHeaderKey(k))
	}
	h["Trailer"] = []string{strings.Join(keys, ", ")}
}

// idleStream is a streamed response body under an idle timeout: a Read
// that has not returned after idle closes the stream, which ends the Read
// (bodies of HTTP responses, pipes and network connections all end a
// blocked Read when closed) and so cuts the response off.
type idleStream struct {
	io.ReadCloser
	idle    *time.Timer // nil: no idle timeout
	expired atomic.Bool
	once    sync.Once
}

// read reads once, under the idle timeout.
func (s *idleStream) read(p []byte, idle time.Duration) (int, error) {
	if s.idle == nil {
		return s.ReadCloser.Read(p)
	}
	s.idle.Reset(idle)
	n, err := s.ReadCloser.Read(p)
	s.idle.Stop()
	return n, err
}

// expire closes the stream: a Read waited too long.
func (s *idleStream) expire() {
	s.expired.Store(true)
	_ = s.Close()
}

// Close closes the stream once, whoever asks first.
func (s *idleStream) Close() error {
	var err error
	s.once.Do(func() {
		if s.idle != nil {
			s.idle.Stop()
		}
		err = s.ReadCloser.Close()
	})
	return err
}
