package upstream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/tracing"
)

// attempt is what one attempt came to: a response (read in full, or with
// its body as a Stream), or an error.
type attempt struct {
	resp       *Response
	err        error
	elapsed    time.Duration
	result     result
	n          int  // the attempt's number, from 1
	clientBody bool // err is the client's streamed body failing
}

// discard closes the body of an attempt that will not be answered (it is
// being retried), after reading a little of it, so that a short error body
// leaves its connection reusable.
func (a *attempt) discard() {
	if a.resp == nil || a.resp.Stream == nil {
		return
	}
	_, _ = io.CopyN(io.Discard, a.resp.Stream, 4<<10)
	_ = a.resp.Stream.Close()
	a.resp.Stream = nil
}

// status returns the response's status, or 0 without one.
func (a *attempt) status() int {
	if a.resp == nil {
		return 0
	}
	return a.resp.Status
}

// attempt sends req to target i and reads the response in full, or, if
// stream, returns it with its body unread. path is req.Path unescaped. The
// attempt is bounded by ctx and AttemptTimeout (a streamed one until its
// body is closed); the time left is sent in the deadline header. resend is
// how many attempts went before it. If ctx carries a span, the attempt has
// a client span of its own (ended with the response's header), whose trace
// context goes upstream in traceparent.
func (u *Upstream) attempt(ctx context.Context, i int, req *Request, path string, stream bool, resend int) attempt {
	actx, cancel := ctx, context.CancelFunc(nil)
	if u.cfg.AttemptTimeout > 0 {
		actx, cancel = context.WithTimeout(ctx, u.cfg.AttemptTimeout)
	}
	keep := false // the streamed body now cancels actx when closed
	defer func() {
		if cancel != nil && !keep {
			cancel()
		}
	}()
	base := u.targets[i]
	out := &http.Request{
		Method:     req.Method,
		URL:        targetURL(base, req.Path, path, req.RawQuery),
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     req.Header,
		Host:       req.Host,
	}
	if out.Method == "" {
		out.Method = http.MethodGet
	}
	if out.Header == nil {
		out.Header = http.Header{}
	}
	if out.Host == "" {
		out.Host = base.Host
	}
	var sent *sentBody
	if req.Stream != nil {
		sent = &sentBody{r: req.Stream}
		out.Body, out.ContentLength = sent, max(req.ContentLength, 0)
		if len(req.Trailer) > 0 {
			out.Trailer, out.ContentLength = req.Trailer, -1 // trailers need chunked encoding
		}
	} else if len(req.Body) > 0 {
		body := req.Body
		out.ContentLength = int64(len(body))
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	if h := u.cfg.DeadlineHeader; h != "-" {
		if d, ok := actx.Deadline(); ok {
			out.Header[h] = []string{strconv.FormatInt(max(time.Until(d).Milliseconds(), 1), 10)}
		} else {
			delete(out.Header, h)
		}
	}
	out = out.WithContext(actx)
	span := tracing.StartClient(out, resend)

	start := time.Now()
	a := attempt{}
	resp, err := u.transport.RoundTrip(out)
	if span != nil {
		span.End(statusOf(resp, err), err)
	}
	switch {
	case err == nil && stream:
		body := resp.Body
		if cancel != nil {
			body, keep = &cancelling{ReadCloser: body, cancel: cancel}, true
		}
		a.resp = &Response{Status: resp.StatusCode, Header: resp.Header, Trailer: resp.Trailer, Stream: body, Target: u.cfg.Targets[i]}
	case err == nil:
		var body []byte
		body, err = readBody(resp, out.Method, u.cfg.MaxResponseBytes)
		_ = resp.Body.Close()
		a.resp = &Response{Status: resp.StatusCode, Header: resp.Header, Trailer: resp.Trailer, Body: body, Target: u.cfg.Targets[i]}
	}
	a.elapsed = time.Since(start)
	u.m.duration.Observe(a.elapsed.Seconds())
	if err != nil && sent != nil {
		if e, ok := errors.AsType[*actors.Error](sent.failed()); ok {
			a.resp, a.err, a.clientBody = nil, e, true
			return a
		}
	}
	if err != nil {
		if cerr := actx.Err(); cerr != nil {
			err = cerr // the transport's wording varies; the context says what ran out
		}
		a.resp, a.err = nil, err
	}
	return a
}

// sentBody is a streamed request body on its way upstream: it keeps the
// error that ended its reading, to tell a client's failure from the
// upstream's.
// The transport reads it on a goroutine of its own, which may go on after
// RoundTrip has returned: its error is behind a mutex.
type sentBody struct {
	r   io.Reader
	mu  sync.Mutex
	err error
}

func (b *sentBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.mu.Lock()
		if b.err == nil {
			b.err = err
		}
		b.mu.Unlock()
	}
	return n, err
}

// failed returns the error that ended the body's reading, if any.
func (b *sentBody) failed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// Close does nothing: the body is the client's, the ingress closes it.
func (b *sentBody) Close() error { return nil }

// cancelling is a streamed response body that ends its attempt's context
// when it is closed.
type cancelling struct {
	io.ReadCloser
	cancel context.CancelFunc
}

// Close closes the body and ends the attempt.
func (c *cancelling) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// targetURL returns the URL of an attempt on base: base's path followed by
// the request's (escaped, and unescaped in path), and the query.
func targetURL(base *url.URL, escaped, path, rawQuery string) *url.URL {
	prefix := strings.TrimSuffix(base.Path, "/")
	rawPrefix := strings.TrimSuffix(base.EscapedPath(), "/")
	if escaped == "" {
		escaped, path = "/", "/"
	}
	u := &url.URL{Scheme: base.Scheme, Host: base.Host, Path: prefix + path, RawQuery: rawQuery}
	if raw := rawPrefix + escaped; raw != u.Path {
		u.RawPath = raw // used when it is a valid encoding of Path (see url.URL.EscapedPath)
	}
	return u
}

// readBody reads a response body in full, at most limit bytes.
func readBody(resp *http.Response, method string, limit int64) ([]byte, error) {
	if method == http.MethodHead || resp.Body == http.NoBody || resp.Body == nil {
		return nil, nil
	}
	if resp.ContentLength > limit {
		return nil, errTooLarge
	}
	if resp.ContentLength >= 0 {
		b := make([]byte, resp.ContentLength)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}
