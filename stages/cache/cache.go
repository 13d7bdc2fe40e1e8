// Package cache is a response cache for GET and HEAD: the first request for
// a resource runs the route; later ones are answered from memory, with
// `X-Cache: HIT` (else MISS, or BYPASS when the request asked not to use the
// cache), an Age header, an ETag and 304 Not Modified for a matching
// If-None-Match.
//
//	spec, err := cache.New("cache", cache.Config{TTL: 30 * time.Second})
//	api := app.Group("/api", spec)
//
// The cache is owned by actors, not guarded by a lock: the stage is
// Stateful with Config.Partitions actors, each holding its own LRU with its
// own share of Config.MaxBytes. A request goes to the actor its primary key
// (method, host, canonical path, sorted query) hashes to; the after-phase
// that stores the response runs in that same actor.
//
// What is stored: responses to GET (HEAD is answered from GET's entry but
// never creates one) whose status is in Config.Statuses, for
// min(Config.TTL, s-maxage or max-age). Not stored: Cache-Control no-store,
// private or no-cache; Vary: *; responses with Set-Cookie; and responses to
// requests with credentials (an Authorization header, or a principal set by
// an auth stage) unless the response says public, s-maxage or
// must-revalidate (RFC 9111 §3.5) — such an entry is also the only kind
// served to requests with credentials. A response that depends on who asks
// in any other way (an API key header, a cookie) must say so with Vary or
// Cache-Control: private.
//
// Requests: Cache-Control no-store bypasses the cache; no-cache (or Pragma:
// no-cache) and max-age limit which entries may be used; only-if-cached
// answers 504 on a miss. Expires and If-Modified-Since are not consulted.
//
// Variants: the stored response's Vary names request headers; their values
// select one of up to Config.MaxVariants variants kept under one primary
// key, newest first.
//
// ETag: a 2xx response of a configured status without one gets a strong
// ETag, the SHA-256 of its body (base64url, quoted). If-None-Match (a list,
// or "*"; weak comparison, RFC 9110 §13.1.2) turns a hit, or a fresh
// response on a miss, into 304 with no body.
//
// Stale if error: with Config.StaleIfError, the last good response is the
// fallback of a route that fails — an upstream down, its breaker open —
// for that long after it went stale (X-Cache: STALE).
//
// Headers that stages before the cache set (CORS, security headers) are not
// stored: a hit keeps the ones they set for this request. Put stages whose
// answers differ per caller before the cache, or have them set Vary.
package cache

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/troupe-go/troupe/actors"
)

// Defaults of Config's zero fields.
const (
	// DefaultTTL is how long a response stays fresh: 1 minute.
	DefaultTTL = time.Minute
	// DefaultMaxBytes bounds the whole cache: 32 MiB.
	DefaultMaxBytes = 32 << 20
	// DefaultMaxEntryBytes bounds one stored response: 1 MiB.
	DefaultMaxEntryBytes = 1 << 20
	// DefaultPartitions is the number of actors holding the cache.
	DefaultPartitions = 4
	// DefaultMaxVariants bounds the Vary variants of one primary key.
	DefaultMaxVariants = 8
)

// maxPartitions bounds Config.Partitions: each one is an actor.
const maxPartitions = 1024

// Config configures a cache stage. The zero value is a working cache with
// the defaults below.
type Config struct {
	// TTL is how long a response stays fresh, unless its own max-age or
	// s-maxage is shorter. Defaults to DefaultTTL (1 minute).
	TTL time.Duration `yaml:"ttl"`
	// MaxBytes bounds the memory of the whole cache, counting bodies,
	// headers and keys; each partition gets MaxBytes/Partitions and
	// evicts its least recently used entries past that. Defaults to
	// DefaultMaxBytes (32 MiB).
	MaxBytes int64 `yaml:"max_bytes"`
	// MaxEntryBytes bounds one stored response (body, headers and key);
	// larger ones are not stored. Defaults to DefaultMaxEntryBytes (1 MiB),
	// and never more than a partition's share of MaxBytes.
	MaxEntryBytes int64 `yaml:"max_entry_bytes"`
	// Partitions is the number of actors the cache is split over, by
	// primary key. Defaults to DefaultPartitions (4); at most 1024.
	Partitions int `yaml:"partitions"`
	// MaxVariants bounds the variants (per Vary) kept under one primary
	// key; the oldest goes first. Defaults to DefaultMaxVariants (8).
	MaxVariants int `yaml:"max_variants"`
	// StaleIfError is how long past its freshness a stored response is
	// kept to answer in place of an error: when the route answers 500,
	// 502, 503 or 504 (an upstream down, its breaker open) and a stored
	// response for the request is at most StaleIfError stale, the client
	// gets that, with X-Cache: STALE and its true Age (RFC 5861's
	// stale-if-error, set here rather than by each response). Responses
	// that say must-revalidate, proxy-revalidate or s-maxage are never
	// served stale. Zero, the default, serves no stale responses.
	StaleIfError time.Duration `yaml:"stale_if_error"`
	// Statuses are the response statuses that are stored. Defaults to
	// [200]. 206 and 304 cannot be stored.
	Statuses []int `yaml:"statuses"`
	// Now returns the current time, for freshness; tests inject a fake
	// clock. Defaults to time.Now. It must be safe for concurrent use.
	Now func() time.Time `yaml:"-"`
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxEntryBytes == 0 {
		c.MaxEntryBytes = DefaultMaxEntryBytes
	}
	if c.Partitions == 0 {
		c.Partitions = DefaultPartitions
	}
	if c.MaxVariants == 0 {
		c.MaxVariants = DefaultMaxVariants
	}
	if len(c.Statuses) == 0 {
		c.Statuses = []int{http.StatusOK}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// validate reports what is wrong with c, which has its defaults.
func (c Config) validate() error {
	switch {
	case c.TTL < 0:
		return fmt.Errorf("ttl must not be negative, got %s", c.TTL)
	case c.StaleIfError < 0:
		return fmt.Errorf("stale_if_error must not be negative, got %s", c.StaleIfError)
	case c.MaxBytes < 0 || c.MaxEntryBytes < 0 || c.MaxVariants < 0:
		return fmt.Errorf("max_bytes, max_entry_bytes and max_variants must not be negative")
	case c.Partitions < 0 || c.Partitions > maxPartitions:
		return fmt.Errorf("partitions must be from 1 to %d, got %d", maxPartitions, c.Partitions)
	case c.MaxBytes/int64(c.Partitions) < 1024:
		return fmt.Errorf("max_bytes %d leaves less than 1 KiB to each of %d partitions", c.MaxBytes, c.Partitions)
	}
	for _, s := range c.Statuses {
		if s < 200 || s > 599 || s == http.StatusPartialContent || s == http.StatusNotModified {
			return fmt.Errorf("status %d cannot be cached (want 200–599, not 206 or 304)", s)
		}
	}
	return nil
}

// Priority is the priority of a cache stage: actors.Preprocessing, after
// the authentication stages and before the business ones.
const Priority = actors.Preprocessing

// New returns the Spec of a cache stage named name: Stateful, of priority
// Priority, with cfg.Partitions actors each owning an LRU.
func New(name string, cfg Config) (*actors.Spec, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	budget := cfg.MaxBytes / int64(cfg.Partitions)
	sh := &shared{
		ttl:         cfg.TTL,
		staleIfErr:  cfg.StaleIfError,
		maxEntry:    min(cfg.MaxEntryBytes, budget),
		maxVariants: cfg.MaxVariants,
		statuses:    slices.Clone(cfg.Statuses),
		now:         cfg.Now,
		keys:        actors.NewKey[requestKey]("cache-key"),
		pending:     actors.NewKey[*pending]("cache-pending"),
	}
	return &actors.Spec{
		Name:         name,
		Kind:         actors.Stateful,
		Priority:     Priority,
		Partitions:   cfg.Partitions,
		PartitionKey: sh.partitionKey,
		New: func() actors.Stage {
			return &stage{shared: sh, store: newStore(budget, cfg.MaxVariants)}
		},
	}, nil
}
