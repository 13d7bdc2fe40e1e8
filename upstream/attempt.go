package upstream

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// attempt is what one attempt came to: a response read in full, or an
// error.
type attempt struct {
	resp    *Response
	err     error
	elapsed time.Duration
	result  result
	n       int // the attempt's number, from 1
}

// status returns the response's status, or 0 without one.
func (a *attempt) status() int {
	if a.resp == nil {
		return 0
	}
	return a.resp.Status
}

// attempt sends req to target i and reads the response in full. path is
// req.Path unescaped. The attempt is bounded by ctx and AttemptTimeout; the
// time left is sent in the deadline header.
func (u *Upstream) attempt(ctx context.Context, i int, req *Request, path string) attempt {
	actx := ctx
	if u.cfg.AttemptTimeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, u.cfg.AttemptTimeout)
		defer cancel()
	}
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
	if len(req.Body) > 0 {
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

	start := time.Now()
	a := attempt{}
	resp, err := u.transport.RoundTrip(out)
	if err == nil {
		var body []byte
		body, err = readBody(resp, out.Method, u.cfg.MaxResponseBytes)
		_ = resp.Body.Close()
		a.resp = &Response{Status: resp.StatusCode, Header: resp.Header, Trailer: resp.Trailer, Body: body, Target: u.cfg.Targets[i]}
	}
	a.elapsed = time.Since(start)
	u.m.duration.Observe(a.elapsed.Seconds())
	if err != nil {
		if cerr := actx.Err(); cerr != nil {
			err = cerr // the transport's wording varies; the context says what ran out
		}
		a.resp, a.err = nil, err
	}
	return a
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
