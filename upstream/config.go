package upstream

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Balance says how an upstream picks the target of each attempt.
type Balance string

const (
	// RoundRobin takes the healthy targets in turn. The default.
	RoundRobin Balance = "round_robin"
	// LeastInFlight takes the healthy target with the fewest attempts in
	// progress, the next in turn among equals.
	LeastInFlight Balance = "least_in_flight"
)

// Config configures an upstream: where its targets are, how they are
// reached, and how calls to them fail. The zero value of every field but
// Targets takes the default its comment gives; "zero means the default",
// as everywhere in troupe's configuration. The yaml tags are the option
// names of the proxy kind.
type Config struct {
	// Name names the upstream in logs and metrics (the upstream label),
	// so it must be unique among an app's upstreams. Required; the proxy
	// kind defaults it to the route's handler name ("GET /api/{rest...}").
	Name string `yaml:"name"`
	// Targets are the base URLs of the upstream's servers, such as
	// "http://10.0.0.7:8080" or "http://10.0.0.7:8080/api" (the path is
	// put before the request's). Required: at least one.
	Targets []string `yaml:"targets"`
	// Balance picks a target per attempt. Defaults to RoundRobin.
	Balance Balance `yaml:"balance"`
	// ConnectTimeout bounds establishing a connection. Defaults to 2s.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// AttemptTimeout bounds each attempt, from sending the request to the
	// end of the response body, within the request's own deadline, which
	// always applies. Zero (the default): only the request's deadline.
	AttemptTimeout time.Duration `yaml:"attempt_timeout"`
	// MaxResponseBytes bounds a response body, which is read in full
	// before it is answered (see the package documentation); a larger one
	// is a failure answered 502. Defaults to 10 MiB.
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
	// DeadlineHeader is the request header that tells the upstream how
	// many milliseconds are left before the attempt's deadline, like
	// gRPC's grpc-timeout: "Request-Timeout: 1500". The client's own
	// header of that name is replaced. Defaults to "Request-Timeout"; "-"
	// sends none.
	DeadlineHeader string `yaml:"deadline_header"`
	// Transport tunes the connection pool.
	Transport TransportConfig `yaml:"transport"`
	// Breaker configures the circuit breaker.
	Breaker BreakerConfig `yaml:"breaker"`
	// Retry configures retries and their budget.
	Retry RetryConfig `yaml:"retry"`
	// Bulkhead bounds the calls in progress.
	Bulkhead BulkheadConfig `yaml:"bulkhead"`
	// Health configures the health of each target: passive ejection, and
	// active checks when a path is given.
	Health HealthConfig `yaml:"health"`
}

// TransportConfig tunes an upstream's http.Transport: its keep-alive pool
// and its timeouts.
type TransportConfig struct {
	// MaxIdleConns bounds the idle keep-alive connections to all targets.
	// Defaults to 256.
	MaxIdleConns int `yaml:"max_idle_conns"`
	// MaxIdleConnsPerHost bounds the idle keep-alive connections to one
	// target. Defaults to 64 (net/http's own default, 2, makes a busy
	// proxy open and close connections all the time).
	MaxIdleConnsPerHost int `yaml:"max_idle_conns_per_host"`
	// MaxConnsPerHost bounds all connections to one target, dialling,
	// active and idle. Zero (the default): no bound.
	MaxConnsPerHost int `yaml:"max_conns_per_host"`
	// IdleConnTimeout closes a keep-alive connection idle this long.
	// Defaults to 90s.
	IdleConnTimeout time.Duration `yaml:"idle_conn_timeout"`
	// ResponseHeaderTimeout bounds the wait for the response headers once
	// the request is written. Zero (the default): only the deadlines.
	ResponseHeaderTimeout time.Duration `yaml:"response_header_timeout"`
	// TLSHandshakeTimeout bounds a TLS handshake. Defaults to 5s.
	TLSHandshakeTimeout time.Duration `yaml:"tls_handshake_timeout"`
	// KeepAlive is the TCP keep-alive period of the connections. Defaults
	// to 30s.
	KeepAlive time.Duration `yaml:"keep_alive"`
	// DisableKeepAlives makes every attempt use a new connection.
	DisableKeepAlives bool `yaml:"disable_keep_alives"`
	// CAFile is a PEM file of the CAs that https targets' certificates must
	// chain to, in place of the system's roots: for upstreams with a
	// private CA. Read when the upstream is made.
	CAFile string `yaml:"ca_file"`
}

// Defaults of Config and of the configs in it.
const (
	DefaultConnectTimeout   = 2 * time.Second
	DefaultMaxResponseBytes = 10 << 20
	DefaultDeadlineHeader   = "Request-Timeout"
)

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Balance == "" {
		c.Balance = RoundRobin
	}
	c.ConnectTimeout = orDefault(c.ConnectTimeout, DefaultConnectTimeout)
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.DeadlineHeader == "" {
		c.DeadlineHeader = DefaultDeadlineHeader
	}
	t := &c.Transport
	t.MaxIdleConns = orDefault(t.MaxIdleConns, 256)
	t.MaxIdleConnsPerHost = orDefault(t.MaxIdleConnsPerHost, 64)
	t.IdleConnTimeout = orDefault(t.IdleConnTimeout, 90*time.Second)
	t.TLSHandshakeTimeout = orDefault(t.TLSHandshakeTimeout, 5*time.Second)
	t.KeepAlive = orDefault(t.KeepAlive, 30*time.Second)
	c.Breaker = c.Breaker.withDefaults()
	c.Retry = c.Retry.withDefaults()
	c.Bulkhead = c.Bulkhead.withDefaults()
	c.Health = c.Health.withDefaults()
	return c
}

// validate reports every problem of c, which has its defaults applied.
func (c Config) validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("name is required"))
	}
	if len(c.Targets) == 0 {
		errs = append(errs, errors.New("targets: at least one is required"))
	}
	for _, t := range c.Targets {
		if _, err := parseTarget(t); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Balance != RoundRobin && c.Balance != LeastInFlight {
		errs = append(errs, fmt.Errorf("balance: %q is neither round_robin nor least_in_flight", c.Balance))
	}
	t := c.Transport
	if c.ConnectTimeout < 0 || c.AttemptTimeout < 0 || t.IdleConnTimeout < 0 || t.ResponseHeaderTimeout < 0 ||
		t.TLSHandshakeTimeout < 0 || t.KeepAlive < 0 {
		errs = append(errs, errors.New("timeouts must not be negative"))
	}
	if c.MaxResponseBytes < 0 || t.MaxIdleConns < 0 || t.MaxIdleConnsPerHost < 0 || t.MaxConnsPerHost < 0 {
		errs = append(errs, errors.New("sizes and counts must not be negative"))
	}
	errs = append(errs, c.Breaker.validate(), c.Retry.validate(), c.Bulkhead.validate(), c.Health.validate())
	return errors.Join(errs...)
}

// parseTarget parses a target's base URL: http or https, a host, no query.
func parseTarget(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("target %q: want http:// or https://, a host, and at most a path", s)
	}
	return u, nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
