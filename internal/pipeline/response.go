package pipeline

import (
	"io"
	"net/http"
)

// Response is the response an exchange is building. The ingress writes it
// once the exchange is answered.
type Response struct {
	// Status is the HTTP status; 0 until a stage responds.
	Status int
	// Body is written as is, unless Stream is set.
	Body []byte
	// Stream, when set, is the body instead of Body: the ingress copies it
	// to the client after the pipeline has answered, and closes it. Stages
	// that rewrite bodies (compress, envelope, cache) leave a streamed
	// response alone. Set it with Exchange.RespondStream.
	Stream io.ReadCloser
	// Trailer, when set with Stream, holds the trailers sent after the
	// body: its keys are announced in the Trailer header before the body,
	// and its values are read once Stream has returned io.EOF, so that a
	// stream may fill them in as it ends (as an http.Response's Trailer
	// is).
	Trailer http.Header

	header  http.Header
	written []func(n int64, err error) // told once Body has been written; see OnWritten
}

// OnWritten asks to be told, once the ingress has written Body (not a
// Stream: wrap the stream for that), how many body bytes went out and the
// error that cut the write short, if any — a client that stopped reading
// until the write deadline, or went away. An access log uses it to log
// what the client really got. f runs on the request's goroutine, after the
// response; it is not called for a response that is never written (the
// deadline's 504 was, or the client had gone).
func (r *Response) OnWritten(f func(n int64, err error)) { r.written = append(r.written, f) }

// Wrote tells r's OnWritten callbacks how the write of its Body went. The
// ingress calls it once. It is a function of this internal package rather
// than a method so that a stage, which sees Response through the public
// actors package, cannot call it.
func Wrote(r *Response, n int64, err error) {
	for _, f := range r.written {
		f(n, err)
	}
	r.written = nil
}

// Header returns the response header, allocating it on first use.
func (r *Response) Header() http.Header {
	if r.header == nil {
		r.header = make(http.Header, 2)
	}
	return r.header
}

// HeaderIfAny returns the response header, or nil if no stage set one.
func (r *Response) HeaderIfAny() http.Header { return r.header }

// Written reports whether a stage has responded.
func (r *Response) Written() bool { return r.Status != 0 }

// Streaming reports whether the body is a Stream rather than Body.
func (r *Response) Streaming() bool { return r.Stream != nil }

// DropStream closes and forgets the Stream, if any, with its Trailer: a
// stage that replaces a streamed response, or a pipeline whose answer
// nobody will write, calls it so that what the stream holds (an upstream
// connection, a bulkhead slot) is freed.
func (r *Response) DropStream() {
	if r.Stream != nil {
		_ = r.Stream.Close()
		r.Stream, r.Trailer = nil, nil
	}
}
