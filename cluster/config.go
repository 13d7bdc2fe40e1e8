package cluster

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Providers, the ways members find each other (Config.Provider).
const (
	// Automanaged: every member serves a small HTTP health endpoint on
	// Config.HealthPort and polls those of Config.Seeds. No other service.
	Automanaged = "automanaged"
	// Etcd: members register under a key prefix of an etcd cluster (v3
	// API) at Config.Endpoints, and watch it.
	Etcd = "etcd"
	// InMemory: members of one process share a Config.InMem; for tests
	// and examples. Not available from a configuration file.
	InMemory = "inmem"
)

// Disthash is the identity lookup, the only one supported: a grain lives
// on the member that the consistent hash of its identity picks.
const Disthash = "disthash"

// Config configures a cluster member.
type Config struct {
	// Name is the cluster's name: members of one cluster share it.
	// Defaults to "troupe".
	Name string `yaml:"name"`
	// Host is the address this member listens on for the other members,
	// and that they reach it at. Defaults to 127.0.0.1.
	Host string `yaml:"host"`
	// Port is this member's port for the other members (gRPC). Zero picks
	// a free port, which only the InMem provider can make use of.
	Port int `yaml:"port"`
	// Provider is how members find each other: "automanaged" (the
	// default), "etcd", or, from Go only, "inmem".
	Provider string `yaml:"provider"`
	// Seeds, for automanaged, are the health addresses (host:port) of
	// every member, this one included. Required for automanaged.
	Seeds []string `yaml:"seeds"`
	// HealthPort, for automanaged, is the port of this member's health
	// endpoint, the one its entry in Seeds names. It listens on every
	// interface (Proto.Actor's choice). Required for automanaged.
	HealthPort int `yaml:"health_port"`
	// Endpoints, for etcd, are the etcd cluster's client addresses
	// (host:port). Required for etcd.
	Endpoints []string `yaml:"endpoints"`
	// Prefix, for etcd, is the key prefix members register under.
	// Defaults to "/troupe".
	Prefix string `yaml:"prefix"`
	// IdentityLookup is how grains are placed: "disthash", the default
	// and only one.
	IdentityLookup string `yaml:"identity_lookup"`
	// RequestTimeout bounds a call to a grain, and so a request's wait for
	// its first lease of a key. Defaults to 250ms.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// LeaseTTL is how long a lease of tokens lasts before unspent tokens
	// go back, and how long a lease of admission by a cluster-wide
	// breaker lasts: every member learns of a trip or a close within it.
	// Defaults to one second.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
	// GrainIdle is how long a bucket's grain that is full again waits for
	// a request before it stops (it starts full when next needed, so
	// nothing is lost), and a batcher's grain with nothing to answer.
	// Defaults to 30 seconds.
	GrainIdle time.Duration `yaml:"grain_idle"`

	// InMem joins the members of one process that share it, for provider
	// "inmem".
	InMem *InMem `yaml:"-"`
	// Now tells the time to the grains and leases. Defaults to time.Now;
	// tests share a fake clock between members.
	Now func() time.Time `yaml:"-"`
}

// FieldError is a problem with one field of a Config: Key is its yaml key.
type FieldError struct {
	Key string
	Err error
}

// Error returns "cluster.KEY: reason".
func (e *FieldError) Error() string { return "cluster." + e.Key + ": " + e.Err.Error() }

// Unwrap returns the reason.
func (e *FieldError) Unwrap() error { return e.Err }

// OptionKey returns the field's yaml key, so that a configuration file's
// error points at its line.
func (e *FieldError) OptionKey() string { return e.Key }

func fieldErr(key, format string, args ...any) error {
	return &FieldError{Key: key, Err: fmt.Errorf(format, args...)}
}

// withDefaults returns c with its defaults filled in.
func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = "troupe"
	}
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.Provider == "" {
		c.Provider = Automanaged
	}
	if c.Prefix == "" {
		c.Prefix = "/troupe"
	}
	if c.IdentityLookup == "" {
		c.IdentityLookup = Disthash
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 250 * time.Millisecond
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = time.Second
	}
	if c.GrainIdle == 0 {
		c.GrainIdle = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// validate reports every problem with c (defaults filled in), each a
// *FieldError, joined.
func (c Config) validate() error {
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, fieldErr(key, format, args...)) }
	if c.Port < 0 || c.Port > 65535 {
		bad("port", "%d is not a port (0 to 65535)", c.Port)
	}
	if net.ParseIP(c.Host) == nil && !validHostname(c.Host) {
		bad("host", "%q is not an IP address or host name", c.Host)
	}
	if c.IdentityLookup != Disthash {
		bad("identity_lookup", "unknown identity lookup %q (want disthash)", c.IdentityLookup)
	}
	if c.RequestTimeout < 0 {
		bad("request_timeout", "must not be negative")
	}
	if c.LeaseTTL < 0 {
		bad("lease_ttl", "must not be negative")
	}
	if c.GrainIdle < 0 {
		bad("grain_idle", "must not be negative")
	}
	switch c.Provider {
	case Automanaged:
		if c.HealthPort < 1 || c.HealthPort > 65535 {
			bad("health_port", "automanaged needs this member's health port (1 to 65535), got %d", c.HealthPort)
		}
		if c.Port == 0 {
			bad("port", "automanaged needs a fixed port: the other members reach this one at host:port")
		}
		if c.HealthPort != 0 && c.HealthPort == c.Port {
			bad("health_port", "%d is also cluster.port", c.HealthPort)
		}
		if len(c.Seeds) == 0 {
			bad("seeds", "automanaged needs every member's health address (host:port), this one's included")
		}
		for _, s := range c.Seeds {
			if err := checkHostPort(s); err != nil {
				bad("seeds", "%q: %v", s, err)
			}
		}
	case Etcd:
		if len(c.Endpoints) == 0 {
			bad("endpoints", "etcd needs the etcd cluster's client addresses (host:port)")
		}
		for _, s := range c.Endpoints {
			if err := checkHostPort(s); err != nil {
				bad("endpoints", "%q: %v", s, err)
			}
		}
		if c.Port == 0 {
			bad("port", "etcd needs a fixed port: the other members reach this one at host:port")
		}
	case InMemory:
		if c.InMem == nil {
			bad("provider", "inmem needs Config.InMem, shared by the members of this process (Go only)")
		}
	default:
		bad("provider", "unknown provider %q (want automanaged or etcd)", c.Provider)
	}
	return errors.Join(errs...)
}

// checkHostPort reports whether s is host:port with a port from 1 to 65535.
func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New("want host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("bad port %q", port)
	}
	if host == "" {
		return errors.New("no host")
	}
	return nil
}

// validHostname reports whether s could be a DNS name.
func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}
