package lease

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Transport carries a lease request to the owner of the bucket named id:
// it gives back returned tokens, asks for want more, and returns how many
// were granted and, with none granted, how long until one is back. It
// must return by ctx's deadline, or soon after.
type Transport interface {
	Lease(ctx context.Context, id string, p Policy, want, returned int64) (granted int64, retry time.Duration, err error)
}

// Loss is what a Pool does while a bucket's owner cannot be reached.
type Loss int

const (
	// FailOpen limits on this member alone, with a bucket of the whole
	// policy: the cluster admits up to members × the rate until the owner
	// is back. It is the default.
	FailOpen Loss = iota
	// FailClosed refuses every request that finds no leased token.
	FailClosed
)

// String returns "open" or "closed".
func (l Loss) String() string {
	if l == FailClosed {
		return "closed"
	}
	return "open"
}

// Observer is told about each call to a bucket's owner. It must be safe
// for concurrent use.
type Observer interface {
	// Leased reports one call for the pool named name: how long it took,
	// how many tokens it asked for (0 when it only gave some back), how
	// many it was granted, and its error.
	Leased(name string, took time.Duration, want, granted int64, err error)
}

// Config configures a Pool.
type Config struct {
	// Name names the limiter: a bucket's id is Name + "/" + key.
	// Required.
	Name string
	// Policy is every bucket's rate and burst. Required.
	Policy Policy
	// Transport reaches the buckets' owners. Required.
	Transport Transport
	// OnLoss says what to do while an owner cannot be reached. Defaults
	// to FailOpen.
	OnLoss Loss
	// Members returns how many members share the buckets: the lease size
	// is ⌈Burst / (2 × members)⌉. Defaults to one.
	Members func() int
	// TTL is how long a lease lasts: tokens unspent by then go back to
	// the bucket. Defaults to one second.
	TTL time.Duration
	// Timeout bounds a call to an owner, and so a request's wait for its
	// first lease. Defaults to 250ms.
	Timeout time.Duration
	// Backoff is how long an owner that could not be reached is not asked
	// again. Defaults to one second.
	Backoff time.Duration
	// Now tells the time. Defaults to time.Now.
	Now func() time.Time
	// Observer, if set, is told about every call to an owner.
	Observer Observer
}

// Decision is a Pool's answer for one request.
type Decision struct {
	// Allowed says the request may go on.
	Allowed bool
	// Remaining is how many tokens this member still holds for the key.
	Remaining int64
	// RetryAfter, for a refused request, is how long until a token is
	// likely to be back.
	RetryAfter time.Duration
	// Lost says the owner could not be reached, so Config.OnLoss decided.
	Lost bool
}

// ErrClosed is the error of a call made after Close.
var ErrClosed = errors.New("lease: pool closed")

// Pool holds this member's leases of the buckets of one limiter, one per
// key in use. It is safe for concurrent use. From its first Take it owns a
// goroutine that gives back expired leases, and one per call to an owner;
// Close stops and waits for them. A pool never used starts none.
type Pool struct {
	cfg   Config
	epoch time.Time

	ctx    context.Context // cancelled by Close: calls in flight give up
	cancel context.CancelFunc
	wg     sync.WaitGroup
	stop   chan struct{}

	mu       sync.Mutex
	entries  map[string]*entry
	closed   bool
	sweeping bool // the sweeper runs: it starts with the first Take
}

// entry is this member's lease of one key's bucket. Times are nanoseconds
// since the pool's epoch.
type entry struct {
	tokens     int64         // leased and unspent
	expires    int64         // when the lease's tokens go back
	returned   int64         // expired tokens to give back with the next call
	done       chan struct{} // non-nil while a call is in flight; closed when it ends
	emptyUntil int64         // the owner said it has no token before then
	lostUntil  int64         // the owner could not be reached: not asked again before then
	local      Bucket        // FailOpen's bucket while the owner is lost
	lastUse    int64
}

// New returns a Pool for cfg, or an error if cfg lacks what is required.
// Its goroutines start with the first Take; Close stops them.
func New(cfg Config) (*Pool, error) {
	switch {
	case cfg.Name == "":
		return nil, errors.New("lease: Config.Name is required")
	case cfg.Policy.Interval < 1 || cfg.Policy.Burst < 1:
		return nil, errors.New("lease: Config.Policy needs an interval and a burst of at least 1")
	case cfg.Transport == nil:
		return nil, errors.New("lease: Config.Transport is required")
	}
	if cfg.Members == nil {
		cfg.Members = func() int { return 1 }
	}
	if cfg.TTL <= 0 {
		cfg.TTL = time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 250 * time.Millisecond
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Pool{cfg: cfg, epoch: cfg.Now(), entries: map[string]*entry{}, stop: make(chan struct{})}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p, nil
}

// Want returns the size of a lease now: ⌈Burst / (2 × members)⌉.
func (p *Pool) Want() int64 {
	m := int64(max(p.cfg.Members(), 1))
	return max((p.cfg.Policy.Burst+2*m-1)/(2*m), 1)
}

func (p *Pool) now() int64 { return int64(p.cfg.Now().Sub(p.epoch)) }

// maxWaits is how many calls to the owner one request waits for before it
// is refused: others waiting on the same key may take what a call brings.
const maxWaits = 3

// Take takes one token of key's bucket for a request: from this member's
// lease when it holds one, which costs no call; else it waits for a call
// to the owner, at most Config.Timeout or until ctx ends.
func (p *Pool) Take(ctx context.Context, key string) Decision {
	for range maxWaits {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return p.lost(key)
		}
		if !p.sweeping {
			p.sweeping = true
			p.wg.Go(p.sweeper)
		}
		now := p.now()
		e := p.entries[key]
		if e == nil {
			e = &entry{}
			p.entries[key] = e
		}
		e.lastUse = now
		p.expireLocked(e, now)
		if e.tokens > 0 {
			e.tokens--
			d := Decision{Allowed: true, Remaining: e.tokens}
			// Half spent: ask for the next lease now, unless a call is in
			// flight, the owner is lost, or it said it has nothing yet.
			if want := p.Want(); e.tokens <= want/2 && e.done == nil && now >= e.lostUntil && now >= e.emptyUntil {
				p.callLocked(key, e, want)
			}
			p.mu.Unlock()
			return d
		}
		switch {
		case now < e.lostUntil:
			d := p.lostLocked(e, now)
			p.mu.Unlock()
			return d
		case now < e.emptyUntil:
			d := Decision{RetryAfter: time.Duration(e.emptyUntil - now)}
			p.mu.Unlock()
			return d
		}
		done := e.done
		if done == nil {
			done = p.callLocked(key, e, p.Want())
		}
		p.mu.Unlock()
		t := time.NewTimer(p.cfg.Timeout)
		select {
		case <-done:
			t.Stop()
		case <-t.C:
			return p.lost(key)
		case <-ctx.Done():
			t.Stop()
			return Decision{RetryAfter: p.cfg.Policy.Interval}
		}
	}
	return Decision{RetryAfter: p.cfg.Policy.Interval}
}

// lost decides for a request while key's owner is lost (or the pool
// closed, or the call to the owner slower than Config.Timeout).
func (p *Pool) lost(key string) Decision {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.entries[key]
	if e == nil {
		e = &entry{}
	}
	return p.lostLocked(e, p.now())
}

// lostLocked decides for a request by Config.OnLoss.
func (p *Pool) lostLocked(e *entry, now int64) Decision {
	if p.cfg.OnLoss == FailClosed {
		return Decision{Lost: true, RetryAfter: time.Duration(max(e.lostUntil-now, int64(p.cfg.Policy.Interval)))}
	}
	granted, retry := e.local.Lease(p.cfg.Policy, now, 1, 0)
	return Decision{Allowed: granted == 1, Lost: true, RetryAfter: retry, Remaining: e.local.Tokens(p.cfg.Policy, now)}
}

// expireLocked moves e's tokens to be given back once its lease is over.
func (p *Pool) expireLocked(e *entry, now int64) {
	if e.tokens > 0 && now >= e.expires {
		e.returned += e.tokens
		e.tokens = 0
	}
}

// callLocked starts a call to key's owner that gives back e's returned
// tokens and asks for want more, and returns the channel closed when it
// has ended. Call it only when no call is in flight for e.
func (p *Pool) callLocked(key string, e *entry, want int64) chan struct{} {
	done := make(chan struct{})
	e.done = done
	returned := e.returned
	e.returned = 0
	p.wg.Go(func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(p.ctx, p.cfg.Timeout)
		start := time.Now()
		granted, retry, err := p.cfg.Transport.Lease(ctx, p.cfg.Name+"/"+key, p.cfg.Policy, want, returned)
		took := time.Since(start)
		cancel()
		if p.cfg.Observer != nil {
			p.cfg.Observer.Leased(p.cfg.Name, took, want, granted, err)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		e.done = nil
		now := p.now()
		if err != nil {
			// The tokens given back may or may not have reached the
			// owner: they are not given back twice.
			e.lostUntil = now + int64(p.cfg.Backoff)
			return
		}
		e.lostUntil = 0
		if granted > 0 {
			e.tokens += granted
			e.expires = now + int64(p.cfg.TTL)
			e.emptyUntil = 0
		} else if want > 0 {
			e.emptyUntil = now + int64(retry)
		}
	})
	return done
}

// sweeper gives back the tokens of expired leases and forgets idle keys,
// every TTL, until Close.
func (p *Pool) sweeper() {
	t := time.NewTicker(p.cfg.TTL)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.Sweep()
		}
	}
}

// Sweep gives back the tokens of expired leases (one call per key holding
// some) and forgets keys that hold nothing and have been idle for a TTL.
// The pool's own goroutine calls it every TTL; tests call it directly.
func (p *Pool) Sweep() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	now := p.now()
	for key, e := range p.entries {
		if e.done != nil {
			continue
		}
		p.expireLocked(e, now)
		switch {
		case e.returned > 0 && now >= e.lostUntil:
			p.callLocked(key, e, 0)
		case e.tokens == 0 && e.returned == 0 && now-e.lastUse >= int64(p.cfg.TTL) && e.local.full <= now:
			delete(p.entries, key)
		}
	}
}

// Keys returns how many keys the pool holds state for.
func (p *Pool) Keys() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.entries)
}

// Close stops the pool: calls in flight are given up, and Close waits for
// the pool's goroutines. Tokens still leased are not given back; their
// buckets refill by themselves. Take after Close decides as if every owner
// were lost. Calling Close twice is safe.
func (p *Pool) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	close(p.stop)
	p.cancel()
	p.wg.Wait()
}
