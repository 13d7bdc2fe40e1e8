package httpin

import (
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/troupe-go/troupe/overload"
	"net/netip"
	"time"
)

// DefaultInitialLimit is the ingress's adaptive limit before anything has
// been measured, when Config.Overload.InitialLimit is left zero (capped by
// MaxInFlight): twice the 64 slow requests at once that a cold server must
// run in parallel.
const DefaultInitialLimit = 128

// Config holds the listener's settings. The zero value is usable: each
// field documents its default.
type Config struct {
	// Addr is the address to listen on. Defaults to ":8080".
	Addr string
	// ReadHeaderTimeout bounds reading the request headers. Defaults to 5s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading the whole request, body included.
	// Defaults to 30s.
	ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of the request headers to
	// the end of the response. Defaults to 60s; keep it above
	// RequestTimeout so that a 504 can still be written.
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for its
	// next request. Defaults to 120s.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request headers. Defaults to 64 KiB.
	MaxHeaderBytes int
	// MaxBodyBytes is the default body limit of a route; a larger body is
	// answered 413. Defaults to 1 MiB.
	MaxBodyBytes int64
	// MaxInFlight is the admission limit: requests beyond it are answered
	// 503 with Retry-After at once. A request's body is read outside it
	// (unless its route streams the body): it gives its place back while
	// the body arrives, and is answered 503 if there is none once the body
	// is in. Defaults to 1024.
	MaxInFlight int
	// Overload configures the adaptive concurrency limit in front of every
	// route (package overload): it admits as many requests at once as keep
	// the service time near its unloaded figure, queues a few more for a
	// short while, and refuses the rest at once with 503 and a Retry-After
	// computed from the load, sheddable requests first and critical ones
	// last. Its zero value is the defaults, but for two: MaxLimit is
	// capped by MaxInFlight, which stays the hard bound, and InitialLimit
	// defaults to DefaultInitialLimit (128), wide enough for a burst of
	// slow but healthy requests, doubling per measurement window while the
	// service time holds.
	Overload overload.Config
	// StaticLimit turns the adaptive limit off: MaxInFlight alone bounds
	// admission, and every request within it runs at once.
	StaticLimit bool
	// CriticalityHeader, if set, names a request header that picks the
	// request's class under overload ("critical", "default" or
	// "sheddable"), in place of its route's. It is honoured only from
	// peers in CriticalityTrusted, and any peer may lower its own class
	// to "sheddable"; from anyone else, or with an unknown value, the
	// route's class stands.
	CriticalityHeader string
	// CriticalityTrusted lists the networks (CIDR prefixes, such as
	// 10.0.0.0/8) whose peers may set CriticalityHeader: the service's own
	// callers, not the public.
	CriticalityTrusted []netip.Prefix
	// RequestTimeout is the default deadline of a request, from admission
	// to reply; past it the client gets 504. Defaults to 10s.
	RequestTimeout time.Duration
	// ShutdownTimeout bounds a graceful shutdown: requests still running
	// after it are cut off. Defaults to 30s.
	ShutdownTimeout time.Duration
	// StreamIdleTimeout bounds the wait for each piece of a streamed
	// response (Exchange.RespondStream: a proxied download, server-sent
	// events): when the stream gives nothing for this long, it is closed
	// and the response cut off. A streamed response has no other time
	// limit — not the request's deadline, which bounds the wait for its
	// header, nor WriteTimeout — beyond the write rate (MinWriteRate).
	// Defaults to 60s.
	StreamIdleTimeout time.Duration
	// DrainDelay is the lame-duck window at the start of a graceful
	// shutdown: /readyz is already false, so a load balancer stops sending
	// new connections, but the server keeps serving for DrainDelay,
	// answering each request with Connection: close, so that keep-alive
	// clients leave after their next response instead of racing the close
	// of an idle connection. Then the listener closes and the drain
	// proper begins. Zero, the default, means none; behind a load
	// balancer, set it to a little more than its health-check interval.
	// It counts towards ShutdownTimeout, and must be shorter.
	DrainDelay time.Duration

	// MinBodyRate is the slowest a request body may arrive, in bytes per
	// second, once BodyRateGrace has passed: by BodyRateGrace + n/MinBodyRate
	// after the ingress starts reading a body, its first n bytes must have
	// arrived. A body slower than that is cut off, answered 408 with
	// Connection: close. ReadTimeout still bounds the whole body. Defaults to
	// 1024 bytes/s.
	MinBodyRate int64
	// BodyRateGrace is the time a body may take before MinBodyRate applies.
	// A body the handler leaves unread is discarded by net/http within it,
	// or the connection closes. Defaults to 5s.
	BodyRateGrace time.Duration
	// MinWriteRate is the slowest a client may take a response, in bytes
	// per second: the response is written in pieces of at most 4 KiB, and
	// each piece of n bytes must be taken within WriteRateGrace +
	// n/MinWriteRate, or the connection is cut off; so a client that stops
	// reading holds its request no longer than that once the socket's
	// buffers are full. WriteTimeout still bounds the whole response.
	// Defaults to 1024 bytes/s.
	MinWriteRate int64
	// WriteRateGrace is the time any one write may take before MinWriteRate
	// applies. Defaults to 5s.
	WriteRateGrace time.Duration
	// LenientFraming turns off the framing guard. By default a request
	// that came with a Transfer-Encoding, and every HTTP/1.0 request, is
	// answered with Connection: close, so that bytes a front proxy framed
	// differently can never be read as a next request (see the package
	// documentation).
	LenientFraming bool
	// MaxConnections caps the connections the listener holds open at once:
	// one past it is closed as soon as it is accepted. Defaults to
	// DefaultMaxConnections().
	MaxConnections int
	// MaxConnectionsPerIP caps the connections one client address holds
	// open at once, the same way. Defaults to 0: no cap per address, since
	// behind a front proxy every connection comes from the proxy.
	MaxConnectionsPerIP int

	// TLS turns HTTPS on (see TLSConfig): with it, HTTP/2 is offered
	// through ALPN beside HTTP/1.1. Off by default.
	TLS TLSConfig
	// H2C serves cleartext HTTP/2 to clients that speak it with prior
	// knowledge (they open with HTTP/2's preface), beside HTTP/1.1 on the
	// same listener; the HTTP/1.1 Upgrade to h2c, deprecated by RFC 9113,
	// is not offered: such a request is answered in HTTP/1.1. For a
	// listener behind a proxy that speaks HTTP/2 to its backends; without
	// TLS only.
	H2C bool
	// MaxConcurrentStreams caps the requests one HTTP/2 connection may
	// have open at once; a client past it has its new streams refused.
	// MaxInFlight still bounds the requests of all connections. Defaults to
	// 100, RFC 9113's recommended minimum.
	MaxConcurrentStreams int
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	def(&c.ReadHeaderTimeout, 5*time.Second)
	def(&c.ReadTimeout, 30*time.Second)
	def(&c.WriteTimeout, 60*time.Second)
	def(&c.IdleTimeout, 120*time.Second)
	def(&c.RequestTimeout, 10*time.Second)
	def(&c.ShutdownTimeout, 30*time.Second)
	def(&c.StreamIdleTimeout, 60*time.Second)
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = 64 << 10
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 1024
	}
	if c.Overload.MaxLimit == 0 || c.Overload.MaxLimit > c.MaxInFlight {
		c.Overload.MaxLimit = c.MaxInFlight
	}
	if c.Overload.MinLimit == 0 { // a max_in_flight under the limiter's default minimum
		c.Overload.MinLimit = min(overload.DefaultMinLimit, c.Overload.MaxLimit)
	}
	if c.Overload.InitialLimit == 0 {
		// Wide at first, not open: a burst of slow but healthy requests
		// (a 100 ms query, 64 at once) runs at once before anything is
		// measured, and the limit doubles each window from there while the
		// service time holds (slow start); but a cold server offered ten
		// times what it can do lets in no more than this before its first
		// measurement, where an open limit let in all of MaxInFlight to
		// wait inside the handlers for over a second.
		c.Overload.InitialLimit = min(DefaultInitialLimit, c.Overload.MaxLimit)
	}
	def(&c.BodyRateGrace, 5*time.Second)
	def(&c.WriteRateGrace, 5*time.Second)
	if c.MinBodyRate == 0 {
		c.MinBodyRate = 1024
	}
	if c.MinWriteRate == 0 {
		c.MinWriteRate = 1024
	}
	if c.MaxConnections == 0 {
		c.MaxConnections = DefaultMaxConnections()
	}
	if c.MaxConcurrentStreams == 0 {
		c.MaxConcurrentStreams = 100
	}
	if c.TLS.Enabled() && c.TLS.MinVersion == 0 {
		c.TLS.MinVersion = tls.VersionTLS12
	}
	return c
}

// Validate reports what is wrong with c, if anything.
func (c Config) Validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"read_header_timeout", c.ReadHeaderTimeout}, {"read_timeout", c.ReadTimeout},
		{"write_timeout", c.WriteTimeout}, {"idle_timeout", c.IdleTimeout},
		{"request_timeout", c.RequestTimeout}, {"shutdown_timeout", c.ShutdownTimeout}, {"drain_delay", c.DrainDelay}, {"stream_idle_timeout", c.StreamIdleTimeout},
		{"body_rate_grace", c.BodyRateGrace}, {"write_rate_grace", c.WriteRateGrace},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %s", d.name, d.v))
		}
	}
	// Timeouts that contradict each other, judged with the defaults in.
	if d := c.WithDefaults(); d.RequestTimeout >= d.WriteTimeout {
		errs = append(errs, fmt.Errorf("request_timeout (%s) must be below write_timeout (%s): past write_timeout the connection is cut, and the 504 at request_timeout could not be written", d.RequestTimeout, d.WriteTimeout))
	} else if d.DrainDelay >= d.ShutdownTimeout {
		errs = append(errs, fmt.Errorf("drain_delay (%s) must be below shutdown_timeout (%s), which it counts towards", d.DrainDelay, d.ShutdownTimeout))
	}
	if c.MaxHeaderBytes < 0 || c.MaxBodyBytes < 0 || c.MaxInFlight < 0 {
		errs = append(errs, errors.New("max_header_bytes, max_body_bytes and max_in_flight must not be negative"))
	}
	if !c.StaticLimit {
		if err := c.WithDefaults().Overload.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.MinBodyRate < 0 || c.MinWriteRate < 0 || c.MaxConnections < 0 || c.MaxConnectionsPerIP < 0 {
		errs = append(errs, errors.New("min_body_rate, min_write_rate, max_connections and max_connections_per_ip must not be negative"))
	}
	if c.MaxConcurrentStreams < 0 {
		errs = append(errs, errors.New("max_concurrent_streams must not be negative"))
	}
	errs = append(errs, c.TLS.validate())
	if c.H2C && c.TLS.Enabled() {
		errs = append(errs, errors.New("h2c is cleartext HTTP/2: with tls, HTTP/2 is on already"))
	}
	return errors.Join(errs...)
}
