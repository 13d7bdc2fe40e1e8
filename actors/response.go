package actors

import "net/http"

// Response is the response an exchange is building. The ingress writes it
// once the exchange is answered.
type Response struct {
	// Status is the HTTP status; 0 until a stage responds.
	Status int
	// Body is written as is.
	Body []byte

	header http.Header
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
