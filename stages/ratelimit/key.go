package ratelimit

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/clientip"
	"github.com/troupe-go/troupe/stages/principal"
)

// source is what a stage keys its buckets on: the client address, the
// authenticated subject, or a request header. Keys of different sources
// carry different prefixes, so that a header value can never stand for an
// address. (A struct with a method rather than a func value, so that the
// key can be built in a buffer on the caller's stack.)
type source struct {
	subject bool   // the principal's subject
	header  string // this header, canonical; "" for none
}

// parseSource returns the source named by spec: "ip" (or ""), "subject"
// or "header:NAME".
func parseSource(spec string) (source, error) {
	switch {
	case spec == "" || spec == "ip":
		return source{}, nil
	case spec == "subject":
		return source{subject: true}, nil
	case strings.HasPrefix(spec, "header:"):
		name := strings.TrimSpace(strings.TrimPrefix(spec, "header:"))
		if !isToken(name) {
			return source{}, fmt.Errorf("key %q: %q is not a header name", spec, name)
		}
		return source{header: http.CanonicalHeaderKey(name)}, nil
	}
	return source{}, fmt.Errorf("key %q: want ip, subject or header:NAME", spec)
}

// append appends the key of ex to dst. Without a subject or the header, the
// key is the client address, as the clientip stage worked it out (the
// connection's peer when that stage did not run).
func (s source) append(dst []byte, ex *actors.Exchange) []byte {
	switch {
	case s.subject:
		if p := principal.From(ex); p != nil && p.Subject != "" {
			return append(append(dst, "sub:"...), p.Subject...)
		}
	case s.header != "":
		if v := ex.Request.Header[s.header]; len(v) > 0 && v[0] != "" {
			return append(append(dst, "hdr:"...), v[0]...)
		}
	}
	return clientip.From(ex).AppendTo(append(dst, "ip:"...))
}

// isToken reports whether s is an HTTP token (RFC 9110), as header names
// must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
