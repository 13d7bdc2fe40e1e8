package httpin

import (
	"errors"
	"fmt"
	"time"
)

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
	// 503 with Retry-After at once. Defaults to 1024.
	MaxInFlight int
	// RequestTimeout is the default deadline of a request, from admission
	// to reply; past it the client gets 504. Defaults to 10s.
	RequestTimeout time.Duration
	// ShutdownTimeout bounds a graceful shutdown: requests still running
	// after it are cut off. Defaults to 30s.
	ShutdownTimeout time.Duration
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
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = 64 << 10
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 1024
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
		{"request_timeout", c.RequestTimeout}, {"shutdown_timeout", c.ShutdownTimeout},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %s", d.name, d.v))
		}
	}
	if c.MaxHeaderBytes < 0 || c.MaxBodyBytes < 0 || c.MaxInFlight < 0 {
		errs = append(errs, errors.New("max_header_bytes, max_body_bytes and max_in_flight must not be negative"))
	}
	return errors.Join(errs...)
}
