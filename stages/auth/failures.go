package auth

import (
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/clientip"
)

// The defaults of FailureLimit.
const (
	// DefaultFailures is how many failed attempts a client address may
	// make within DefaultFailureWindow.
	DefaultFailures = 10
	// DefaultFailureWindow is the window failures are counted in.
	DefaultFailureWindow = time.Minute
	// DefaultFailureClients is how many client addresses a stage remembers
	// failures of, at most.
	DefaultFailureClients = 1 << 16
	// DefaultIPv6Prefix is how many leading bits of an IPv6 address name a
	// client: a /64 is what one host or home gets, and it holds more
	// addresses than any table.
	DefaultIPv6Prefix = 64
	// maxFailures bounds FailureLimit.Failures: each address remembered
	// keeps the times of its last Failures failures.
	maxFailures = 1000
)

// FailureLimit limits failed authentication per client address, against
// guessing credentials. The zero value is the default limit: 10 failures
// per minute. In YAML it is the option failure_limit of api_key, basic_auth
// and jwt:
//
//	failure_limit: {failures: 10, window: 1m, max_clients: 65536, ipv6_prefix: 64}
//	failure_limit: {disabled: true}
//
// A request that presents credentials the stage refuses is a failure (a
// request without credentials is not). Once a client address has failed
// Failures times within the last Window, its requests that present
// credentials are answered 429 with Retry-After and a problem+json body,
// without looking at the credentials, until the oldest of those failures
// is Window old: then it may try again, and each new failure again
// counts. The 429s themselves are no failures. Retry-After is that wait,
// in whole seconds rounded up.
//
// A request that authenticates does not wipe its address's failures:
// otherwise whoever holds one valid credential could guess at others
// without limit, succeeding every Failures-1 guesses. Failures only age
// out. Other addresses' failures are never touched by it.
//
// The client address is clientip.From: the clientip stage's result, or
// the connection's peer without that stage. So X-Forwarded-For and
// Forwarded count only from the trusted proxies configured on clientip;
// behind a proxy that is not configured, every client shares the proxy's
// address (and its limit). IPv6 addresses count by their leading
// IPv6Prefix bits. Requests whose peer address cannot be parsed share one
// count.
//
// Each stage keeps its own table, split in 16 shards by a keyed hash of
// the address, each behind a mutex: the stages are Pure, so one stage
// value serves concurrent requests, and a mutex held for a map lookup
// costs far less than a Stateful hop of its own would (while the table,
// or the request's shard, holds no address, a request takes no lock). An address that has failed
// of late holds a slot for each of its attempts under way, so attempts
// checked at the same moment cannot all fail past the limit; an address
// with no failures counted can have as many attempts checked at once as
// the hop runs at once (2 × GOMAXPROCS actors) before the first of them
// counts.
//
// Memory is bounded: at most MaxClients addresses are remembered, a
// sixteenth of them per shard, about 180 + 8 × Failures bytes each (16 MiB
// at the defaults, measured). An address whose last failure is Window old
// is forgotten as failures come in. At its shard's cap, a new address
// makes room by evicting the address of the shard whose last failure is
// the oldest, which forgets that address's failures: an attacker has to
// fail from about MaxClients addresses within one Window to make the table
// forget one, and every one of them is held to the limit meanwhile.
type FailureLimit struct {
	// Failures is how many failed attempts a client address may make
	// within Window before it is answered 429. Defaults to
	// DefaultFailures (10); at most 1000.
	Failures int `yaml:"failures"`
	// Window is how long a failure counts. Defaults to
	// DefaultFailureWindow (1m).
	Window time.Duration `yaml:"window"`
	// MaxClients caps the client addresses remembered. Defaults to
	// DefaultFailureClients (65,536); 16 at least.
	MaxClients int `yaml:"max_clients"`
	// IPv6Prefix is how many leading bits of an IPv6 address count as one
	// client, 1 to 128. Defaults to DefaultIPv6Prefix (64).
	IPv6Prefix int `yaml:"ipv6_prefix"`
	// Disabled turns the limit off: every attempt is checked.
	Disabled bool `yaml:"disabled"`
	// Now tells the time. Defaults to time.Now; tests inject a fake clock.
	Now func() time.Time `yaml:"-"`
}

// failureShards is how many shards a failure table has: enough that
// concurrent requests seldom wait for each other's lock.
const failureShards = 16

// failures is the failure table of one stage. A nil *failures (the limit
// disabled) limits nothing. It is safe for concurrent use.
type failures struct {
	max    int   // failures per window
	window int64 // nanoseconds
	v6bits int
	now    func() time.Time
	epoch  time.Time
	seed   maphash.Seed
	count  atomic.Int64 // addresses remembered, read without a lock
	shards [failureShards]failureShard
}

// failureShard is one shard of a failure table: its clients by address,
// and a list of them by last failure, most recent first.
type failureShard struct {
	mu      sync.Mutex
	n       atomic.Int32  // len(clients), read without the lock
	count   *atomic.Int64 // the table's
	clients map[netip.Addr]*failingClient
	newest  *failingClient
	oldest  *failingClient
	max     int
}

// failingClient is a client address with failures: the times of its
// failures within the window, at most max of them, in a ring, and how
// many of its attempts are under way.
type failingClient struct {
	addr         netip.Addr
	times        []int64 // nanoseconds since the table's epoch
	first, n     int     // the ring: the oldest and how many
	pending      int     // attempts checked and not yet ended
	last         int64   // the last failure
	newer, older *failingClient
}

// newFailures returns the failure table cfg describes, nil if it is
// disabled, or an error for a bad setting.
func newFailures(cfg FailureLimit) (*failures, error) {
	if cfg.Disabled {
		return nil, nil
	}
	switch {
	case cfg.Failures < 0 || cfg.Failures > maxFailures:
		return nil, failureLimitError{fmt.Errorf("failures must be 0 (the default) to %d, got %d", maxFailures, cfg.Failures)}
	case cfg.Window < 0:
		return nil, failureLimitError{fmt.Errorf("window must not be negative, got %v", cfg.Window)}
	case cfg.MaxClients < 0:
		return nil, failureLimitError{fmt.Errorf("max_clients must not be negative, got %d", cfg.MaxClients)}
	case cfg.IPv6Prefix < 0 || cfg.IPv6Prefix > 128:
		return nil, failureLimitError{fmt.Errorf("ipv6_prefix must be 0 (the default) to 128, got %d", cfg.IPv6Prefix)}
	}
	f := &failures{max: cfg.Failures, window: int64(cfg.Window), v6bits: cfg.IPv6Prefix, now: cfg.Now, seed: maphash.MakeSeed()}
	if f.max == 0 {
		f.max = DefaultFailures
	}
	if f.window == 0 {
		f.window = int64(DefaultFailureWindow)
	}
	if f.v6bits == 0 {
		f.v6bits = DefaultIPv6Prefix
	}
	if f.now == nil {
		f.now = time.Now
	}
	clients := cfg.MaxClients
	if clients == 0 {
		clients = DefaultFailureClients
	}
	f.epoch = f.now()
	for i := range f.shards {
		// The shards' caps add up to clients (to 16 at least).
		f.shards[i].max = max(1, (clients+failureShards-1-i)/failureShards)
		f.shards[i].count = &f.count
	}
	return f, nil
}

// client returns the address ex's failures count under, and its shard.
func (f *failures) client(ex *actors.Exchange) (netip.Addr, *failureShard) {
	a := clientip.From(ex)
	if a.Is6() {
		p, _ := a.Prefix(f.v6bits) // drops the zone too
		a = p.Addr()
	}
	b := a.As16()
	return a, &f.shards[maphash.Bytes(f.seed, b[:])%failureShards]
}

// elapsed returns the time since the table's epoch.
func (f *failures) elapsed() int64 { return int64(f.now().Sub(f.epoch)) }

// attempt is one request's go at authenticating, between check and its
// outcome: failed or passed, one of which must follow a check that let it
// through. The zero attempt (the limit disabled) records nothing.
type attempt struct {
	f    *failures
	ex   *actors.Exchange
	sh   *failureShard // nil until the address is known
	addr netip.Addr
	c    *failingClient // the client it holds a slot of, if any
}

// check returns the 429 for ex's client address if its failures within
// the window, and its attempts under way, are at the limit; else the
// attempt, which holds a slot of the address's if it has failed of late,
// so that attempts checked at once cannot all fail past the limit.
func (f *failures) check(ex *actors.Exchange) (attempt, error) {
	if f == nil {
		return attempt{}, nil
	}
	if f.count.Load() == 0 {
		return attempt{f: f, ex: ex}, nil // failed works the address out
	}
	a, sh := f.client(ex)
	at := attempt{f: f, sh: sh, addr: a}
	if sh.n.Load() == 0 {
		return at, nil
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	c := sh.clients[a]
	if c == nil {
		return at, nil
	}
	now := f.elapsed()
	c.trim(now - f.window)
	if c.n+c.pending < f.max {
		c.pending++
		at.c = c
		return at, nil
	}
	wait := time.Second // all of it is attempts under way: ask again soon
	if c.n > 0 {
		wait = time.Duration(c.times[c.first] + f.window - now)
	}
	return attempt{}, &actors.Error{
		Status:     http.StatusTooManyRequests,
		Detail:     "too many failed authentication attempts; try again later",
		RetryAfter: wait,
		Err:        fmt.Errorf("%v: %w", a, errTooManyFailures),
	}
}

// passed ends an attempt that was no failure.
func (at attempt) passed() {
	if at.c == nil {
		return
	}
	at.sh.mu.Lock()
	at.c.pending--
	at.sh.mu.Unlock()
}

// failed ends an attempt that failed: it counts against its address.
func (at attempt) failed() {
	if at.f == nil {
		return
	}
	if at.sh == nil {
		at.addr, at.sh = at.f.client(at.ex)
	}
	f, sh := at.f, at.sh
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if at.c != nil {
		at.c.pending--
	}
	now := f.elapsed()
	for sh.oldest != nil && sh.oldest.pending == 0 && now-sh.oldest.last >= f.window {
		sh.remove(sh.oldest) // no failure of it counts any more
	}
	c := sh.clients[at.addr]
	if c == nil {
		if len(sh.clients) >= sh.max {
			sh.remove(sh.oldest)
		}
		if sh.clients == nil {
			sh.clients = make(map[netip.Addr]*failingClient)
		}
		c = &failingClient{addr: at.addr, times: make([]int64, f.max)}
		sh.clients[at.addr] = c
		sh.n.Store(int32(len(sh.clients)))
		sh.count.Add(1)
	} else {
		sh.unlink(c)
	}
	c.trim(now - f.window)
	if c.n == f.max { // attempts checked before the address had failed
		c.first, c.n = (c.first+1)%f.max, c.n-1
	}
	c.times[(c.first+c.n)%f.max] = now
	c.n++
	c.last = now
	sh.pushNewest(c)
}

// trim forgets the failures at or before t.
func (c *failingClient) trim(t int64) {
	for c.n > 0 && c.times[c.first] <= t {
		c.first, c.n = (c.first+1)%len(c.times), c.n-1
	}
}

// remove forgets c.
func (sh *failureShard) remove(c *failingClient) {
	sh.unlink(c)
	delete(sh.clients, c.addr)
	sh.n.Store(int32(len(sh.clients)))
	sh.count.Add(-1)
}

// unlink takes c out of the list by last failure.
func (sh *failureShard) unlink(c *failingClient) {
	if c.newer != nil {
		c.newer.older = c.older
	} else {
		sh.newest = c.older
	}
	if c.older != nil {
		c.older.newer = c.newer
	} else {
		sh.oldest = c.newer
	}
	c.newer, c.older = nil, nil
}

// pushNewest puts c at the head of the list by last failure.
func (sh *failureShard) pushNewest(c *failingClient) {
	c.older = sh.newest
	if sh.newest != nil {
		sh.newest.newer = c
	} else {
		sh.oldest = c
	}
	sh.newest = c
}

// size returns how many client addresses the table remembers.
func (f *failures) size() int { return int(f.count.Load()) }

// failureLimitError is a bad FailureLimit.
type failureLimitError struct{ err error }

// Error returns "failure_limit: " and what is wrong.
func (e failureLimitError) Error() string { return "failure_limit: " + e.err.Error() }

// Unwrap returns what is wrong.
func (e failureLimitError) Unwrap() error { return e.err }

// OptionKey names the option at fault, so that the configuration reports
// the error at its line (see config.StageKind).
func (failureLimitError) OptionKey() string { return "failure_limit" }

// errTooManyFailures is the cause of a 429 for a client address that has
// failed too often.
var errTooManyFailures = errors.New("too many failed authentication attempts")
