// Package compress is the stage that compresses response bodies with zstd
// or gzip, as the client's Accept-Encoding allows:
//
//	c, err := compress.New("compress", compress.Config{MinSize: 2048})
//	if err != nil { … }
//	app.Use(c)
//
// It works in its after-phase, on the finished response, and compresses
// only when it is worth it and safe:
//
//   - the body is at least MinSize bytes (default 1 KiB), and compressing
//     makes it smaller;
//   - the Content-Type is compressible: text/*, JSON, XML, JavaScript, SVG,
//     YAML, WebAssembly, ndjson, uncompressed fonts, any +json, +xml or
//     +yaml type, and the types in Config.Types;
//   - the response has no Content-Encoding or Content-Range yet, and no
//     Cache-Control: no-transform;
//   - the status is not 1xx, 204, 206 or 304, and the method is not HEAD.
//
// It then sets Content-Encoding, drops Content-Length (the ingress writes
// the new one), and weakens a strong ETag (`"x"` becomes `W/"x"`: the
// bytes differ from the identity representation's). Whenever the outcome
// depended on Accept-Encoding it adds Vary: Accept-Encoding, so that
// caches keep the variants apart.
//
// Negotiation follows RFC 9110: codings with q=0 are refused, "*" stands
// for codings not named, x-gzip means gzip, and no Accept-Encoding means
// no compression. Among acceptable codings the highest q wins; on a tie,
// the order of Config.Encodings does, zstd first by default: it
// compresses as well as gzip or better, for less CPU, and the clients
// that offer it (Chromium-based browsers, Firefox, curl) decode it; those
// that do not offer it get gzip. The zstd window is capped at 8 MiB, as
// RFC 9659 requires of the "zstd" content coding.
//
// Its priority is Terminating (Priority), so that it runs right after the
// handler and the stages outside it (an access log) see the bytes that go
// out.
// It compresses in memory, on the request's goroutine; the stage is
// Pure. The encoders are shared: gzip writers come from a pool, and one
// zstd encoder serves all requests (EncodeAll, up to GOMAXPROCS at once;
// a further request waits for a free internal encoder, as it would for a
// CPU).
package compress

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/troupe-go/troupe/actors"
)

// Config configures the stage. Its zero value is the defaults.
type Config struct {
	// MinSize is the smallest body compressed, in bytes. Defaults to 1024;
	// smaller bodies gain little and cost a frame header.
	MinSize int `yaml:"min_size"`
	// Encodings are the codings offered, in order of preference on a tie
	// of q-values: "zstd" and "gzip". Defaults to zstd, gzip.
	Encodings []string `yaml:"encodings"`
	// GzipLevel is gzip's level, 1 (fastest) to 9 (smallest). Defaults to
	// klauspost/compress's default (5).
	GzipLevel int `yaml:"gzip_level"`
	// ZstdLevel is zstd's level: "fastest", "default", "better" or
	// "best". Defaults to "default" (about zstd's level 3).
	ZstdLevel string `yaml:"zstd_level"`
	// Types are more compressible media types, beyond the built-in ones:
	// "application/x-custom", or "type/*" for a whole type. Defaults to
	// none.
	Types []string `yaml:"types"`
}

// stage compresses in its after-phase. It is safe for concurrent use.
type stage struct {
	minSize int
	coders  []coder // in order of preference
	types   types
}

var _ actors.AfterStage = (*stage)(nil)

// Priority is the priority of a compress stage: actors.Terminating.
const Priority = actors.Terminating

// New returns the Spec of a compress stage named name: stateless, of
// priority Priority. It fails with an error naming every bad setting.
func New(name string, cfg Config) (*actors.Spec, error) {
	s, err := newStage(cfg)
	if err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: Priority, Stage: s, HTTPOnly: true}, nil
}

// newStage returns the stage cfg describes, or an error naming every bad
// setting.
func newStage(cfg Config) (*stage, error) {
	var errs []error
	s := &stage{minSize: cfg.MinSize}
	switch {
	case cfg.MinSize < 0:
		errs = append(errs, fmt.Errorf("min_size: %d is negative", cfg.MinSize))
	case cfg.MinSize == 0:
		s.minSize = 1024
	}
	names := cfg.Encodings
	if len(names) == 0 {
		names = []string{"zstd", "gzip"}
	}
	for _, name := range names {
		var c coder
		var err error
		switch name = strings.ToLower(strings.TrimSpace(name)); name {
		case "zstd":
			c, err = newZstd(cfg.ZstdLevel)
		case "gzip":
			c, err = newGzip(cfg.GzipLevel)
		default:
			err = fmt.Errorf("encodings: %q is not one of zstd, gzip", name)
		}
		switch {
		case err != nil:
			errs = append(errs, err)
		case s.coder(name) != nil:
			errs = append(errs, fmt.Errorf("encodings: %q is listed twice", name))
		default:
			s.coders = append(s.coders, c)
		}
	}
	t, err := newTypes(cfg.Types)
	errs = append(errs, err)
	s.types = t
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *stage) coder(name string) coder {
	for _, c := range s.coders {
		if c.name() == name {
			return c
		}
	}
	return nil
}

// Process does nothing: the stage works on the way out.
func (s *stage) Process(*actors.Exchange) error { return nil }

// After compresses the response body if the client accepts a coding and
// the response is worth compressing.
func (s *stage) After(ex *actors.Exchange) {
	resp := &ex.Response
	h := resp.HeaderIfAny()
	if h == nil || resp.Streaming() || len(resp.Body) < s.minSize || ex.Request.Method == http.MethodHead || !compressibleStatus(resp.Status) ||
		h.Get("Content-Encoding") != "" || h.Get("Content-Range") != "" || noTransform(h) || !s.types.compressible(h.Get("Content-Type")) {
		return
	}
	addVary(h, "Accept-Encoding")
	c := s.negotiate(ex.Request.Header.Values("Accept-Encoding"))
	if c == nil {
		return
	}
	out, err := c.encode(resp.Body)
	if err != nil || len(out) >= len(resp.Body) {
		return
	}
	resp.Body = out
	h.Set("Content-Encoding", c.name())
	h.Del("Content-Length")
	if etag := h.Get("Etag"); etag != "" && !strings.HasPrefix(etag, "W/") {
		h.Set("Etag", "W/"+etag)
	}
}

// compressibleStatus reports whether a response with this status has a
// body that may be compressed: not 1xx, 204 No Content, 206 Partial
// Content (its byte ranges are of the identity body) or 304 Not Modified.
// Zero is 200, as the ingress writes it.
func compressibleStatus(status int) bool {
	switch {
	case status == 0:
		return true
	case status < 200, status == http.StatusNoContent, status == http.StatusPartialContent, status == http.StatusNotModified:
		return false
	}
	return true
}

// noTransform reports whether Cache-Control forbids changing the body.
func noTransform(h http.Header) bool {
	for _, line := range h.Values("Cache-Control") {
		for d := range strings.SplitSeq(line, ",") {
			if strings.EqualFold(strings.TrimSpace(d), "no-transform") {
				return true
			}
		}
	}
	return false
}

// addVary adds name to the Vary header unless it, or "*", is there.
func addVary(h http.Header, name string) {
	for _, line := range h.Values("Vary") {
		for v := range strings.SplitSeq(line, ",") {
			if v = strings.TrimSpace(v); v == "*" || strings.EqualFold(v, name) {
				return
			}
		}
	}
	h.Add("Vary", name)
}
