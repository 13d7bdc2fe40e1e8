package breakerlease

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"time"
)

// Transport carries a renewal to the owner of the breaker named id. It
// must return by ctx's deadline, or soon after.
type Transport interface {
	Renew(ctx context.Context, id string, p Policy, lease time.Duration, r Report) (Grant, error)
}

// Observer is told about each renewal. It must be safe for concurrent use.
type Observer interface {
	// Renewed reports one renewal of the breaker named name: how long it
	// took, the lease it brought (when err is nil), and its error.
	Renewed(name string, took time.Duration, g Grant, err error)
}

// Config configures a Member.
type Config struct {
	// Name names the breaker (an upstream's name): the owner's identity.
	// Required.
	Name string
	// Policy is the breaker's rule and timing. Required (see Policy.Check).
	Policy Policy
	// Transport reaches the owner. Required.
	Transport Transport
	// Members returns how many members share the breaker. Defaults to
	// one.
	Members func() int
	// Lease is the lease period: how long a lease lasts from when it was
	// asked for, and so how stale a member's view of the breaker can be.
	// Defaults to one second.
	Lease time.Duration
	// Timeout bounds a call to the owner, and so a call's wait for a
	// lease. Defaults to 250ms.
	Timeout time.Duration
	// Backoff is how long an owner that could not be reached is not asked
	// again. Defaults to one second.
	Backoff time.Duration
	// Now tells the time. Defaults to time.Now.
	Now func() time.Time
	// Observer, if set, is told about every renewal.
	Observer Observer
	// OnState, if set, is called with the breaker's state each time this
	// member learns of a new one (its first lease included), so that a
	// gauge follows the cluster's breaker without anyone asking. It is
	// called with the member's lock held: it must not block nor call the
	// member.
	OnState func(State)
}

// Outcome is what an admitted call counts as.
type Outcome int

const (
	// Success counts towards closing, and ends a run of failures.
	Success Outcome = iota
	// Failure counts towards tripping.
	Failure
	// Neutral counts neither way (the client went away); a half-open
	// probe's slot is freed.
	Neutral
)

// Ticket is an admitted call, to be reported exactly once with Done.
type Ticket struct {
	gen   uint64
	probe bool
}

// Decision is a Member's answer for one call.
type Decision struct {
	// Allowed says the call may go; report it with Done(Ticket, …).
	Allowed bool
	// Ticket is the admitted call's, when Allowed.
	Ticket Ticket
	// State is the breaker's state as this member last learnt it.
	State State
	// RetryAfter, for a refused call, is how long until one may pass.
	RetryAfter time.Duration
	// Lost says the owner could not be reached (or the member is
	// closed): the caller decides, by its on_cluster_loss.
	Lost bool
}

// ErrClosed is the error of a Member's calls after Close.
var ErrClosed = errors.New("breakerlease: member closed")

// Member is this member's lease of one cluster-wide breaker. It is safe
// for concurrent use. It owns a goroutine per call to the owner; Close
// stops and waits for them.
type Member struct {
	cfg   Config
	epoch time.Time
	id    string // names this member to the owner: random, one per Member

	ctx    context.Context // cancelled by Close: calls in flight give up
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	closed    bool
	leased    bool   // a lease has been granted (expires says until when)
	state     State  // of the last lease
	gen       uint64 // of the last lease; counts below are of it
	expires   int64  // when the last lease ends
	renewAt   int64  // when to renew in the background
	openUntil int64  // Open: when it ends
	left      int64  // Closed: failures allowed before reporting
	probes    uint32 // HalfOpen: probes this member may still let through
	probesOut uint32 // HalfOpen: probes in flight
	lostUntil int64  // the owner could not be reached: not asked again before then
	done      chan struct{}

	// The counts since the last report, of generation gen.
	successes, failures, trailing uint32
}

// New returns a Member for cfg, or an error if cfg lacks what is required.
func New(cfg Config) (*Member, error) {
	switch {
	case cfg.Name == "":
		return nil, errors.New("breakerlease: Config.Name is required")
	case cfg.Transport == nil:
		return nil, errors.New("breakerlease: Config.Transport is required")
	}
	if err := cfg.Policy.Check(); err != nil {
		return nil, err
	}
	if cfg.Members == nil {
		cfg.Members = func() int { return 1 }
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Second
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
	m := &Member{cfg: cfg, epoch: cfg.Now(), id: rand.Text()}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m, nil
}

func (m *Member) now() int64 { return int64(m.cfg.Now().Sub(m.epoch)) }

// maxWaits is how many calls to the owner one admission waits for before
// it is refused.
const maxWaits = 3

// minRetryAfter is the least Retry-After of a refusal.
const minRetryAfter = time.Millisecond

// Admit decides whether a call may go: from this member's lease when it
// holds a valid one, which costs no call to the owner; else it waits for
// a renewal, at most Config.Timeout or until ctx ends.
func (m *Member) Admit(ctx context.Context) Decision {
	for range maxWaits {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return Decision{Lost: true, RetryAfter: m.cfg.Backoff}
		}
		now := m.now()
		if now < m.lostUntil {
			d := Decision{Lost: true, State: m.state, RetryAfter: time.Duration(m.lostUntil - now)}
			m.mu.Unlock()
			return d
		}
		if d, ok := m.decideLocked(now); ok {
			m.mu.Unlock()
			return d
		}
		done := m.done
		if done == nil {
			done = m.renewLocked()
		}
		m.mu.Unlock()
		t := time.NewTimer(m.cfg.Timeout)
		select {
		case <-done:
			t.Stop()
		case <-t.C:
			return Decision{Lost: true, State: m.State(), RetryAfter: m.cfg.Backoff}
		case <-ctx.Done():
			t.Stop()
			return Decision{State: m.State(), RetryAfter: minRetryAfter}
		}
	}
	return Decision{State: m.State(), RetryAfter: minRetryAfter}
}

// decideLocked decides from the lease held, if it can: ok is false when a
// renewal must come first.
func (m *Member) decideLocked(now int64) (d Decision, ok bool) {
	if !m.leased || now >= m.expires {
		return Decision{}, false
	}
	d.State = m.state
	switch m.state {
	case Closed:
		if m.left <= 0 {
			return Decision{}, false // report the failures before admitting more
		}
		if now >= m.renewAt && m.done == nil {
			m.renewLocked()
		}
		return Decision{Allowed: true, State: Closed, Ticket: Ticket{gen: m.gen}}, true
	case Open:
		d.RetryAfter = max(time.Duration(m.openUntil-now), minRetryAfter)
		return d, true
	default: // HalfOpen
		if m.probes > 0 {
			m.probes--
			m.probesOut++
			return Decision{Allowed: true, State: HalfOpen, Ticket: Ticket{gen: m.gen, probe: true}}, true
		}
		if m.done != nil && m.probesOut == 0 {
			return Decision{}, false // the probes' report is on its way: wait for the owner's verdict
		}
		d.RetryAfter = max(time.Duration(m.expires-now), minRetryAfter)
		return d, true
	}
}

// Done reports what came of an admitted call. Counts of a lease older than
// the member's last (the state changed meanwhile) are dropped, as the
// owner would drop them.
func (m *Member) Done(t Ticket, o Outcome) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || t.gen != m.gen {
		return
	}
	if t.probe {
		m.probesOut--
	}
	switch o {
	case Success:
		m.successes++
		m.trailing = 0
	case Failure:
		m.failures++
		m.trailing++
		if !t.probe {
			m.left--
		}
	case Neutral:
		if t.probe {
			m.probes++
		}
	}
	// Report at once when the failure share is spent, or when the probes
	// have all ended or one failed: the owner decides on it.
	report := false
	switch m.state {
	case Closed:
		report = o == Failure && m.left <= 0
	case HalfOpen:
		report = t.probe && (o == Failure || m.probes == 0 && m.probesOut == 0)
	}
	if report && m.done == nil {
		m.renewLocked()
	}
}

// State returns the breaker's state as this member last learnt it.
func (m *Member) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

// View is what a member knows of its breaker, for status pages.
type View struct {
	// State is the state of its last lease.
	State State
	// OpenFor, when Open, is how long it stays open.
	OpenFor time.Duration
	// Lost says the owner could not be reached at the last try (or no
	// lease was ever granted): the caller's on_cluster_loss decides.
	Lost bool
}

// View returns what the member knows of the breaker now.
func (m *Member) View() View {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	v := View{State: m.state, Lost: m.closed || !m.leased || now < m.lostUntil}
	if m.state == Open {
		v.OpenFor = max(time.Duration(m.openUntil-now), 0)
	}
	return v
}

// renewLocked starts a renewal that reports the counts since the last
// one, and returns the channel closed when it has ended. Call it only when
// none is in flight.
func (m *Member) renewLocked() chan struct{} {
	done := make(chan struct{})
	m.done = done
	r := Report{Member: m.id, Generation: m.gen, Successes: m.successes, Failures: m.failures, Trailing: m.trailing, Members: m.cfg.Members()}
	m.successes, m.failures, m.trailing = 0, 0, 0
	sent := m.now()
	m.wg.Go(func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(m.ctx, m.cfg.Timeout)
		start := time.Now()
		g, err := m.cfg.Transport.Renew(ctx, m.cfg.Name, m.cfg.Policy, m.cfg.Lease, r)
		took := time.Since(start)
		cancel()
		if m.cfg.Observer != nil {
			m.cfg.Observer.Renewed(m.cfg.Name, took, g, err)
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		m.done = nil
		if err != nil {
			// The counts sent may or may not have reached the owner: they
			// are not sent twice.
			m.lostUntil = m.now() + int64(m.cfg.Backoff)
			return
		}
		m.grantedLocked(sent, g)
	})
	return done
}

// granted takes a lease asked for at sent.
func (m *Member) grantedLocked(sent int64, g Grant) {
	now := m.now()
	m.lostUntil = 0
	if g.Generation != m.gen {
		// Counts made since the report belong to the old state.
		m.successes, m.failures, m.trailing = 0, 0, 0
		m.probesOut = 0
	}
	if m.cfg.OnState != nil && (!m.leased || g.State != m.state) {
		m.cfg.OnState(g.State)
	}
	m.leased, m.state, m.gen = true, g.State, g.Generation
	m.expires, m.renewAt = sent+int64(m.cfg.Lease), sent+int64(m.cfg.Lease)/2
	switch g.State {
	case Closed:
		m.left = int64(g.Failures) - int64(m.failures)
	case Open:
		// Nothing changes before the timeout: the lease lasts until then.
		m.openUntil = now + int64(g.OpenFor)
		m.expires = max(m.expires, m.openUntil)
	case HalfOpen:
		m.probes = g.Probes - min(g.Probes, m.probesOut)
	}
}

// Close stops the member: calls to the owner in flight are given up, and
// Close waits for them. Admit after Close says Lost. Calling Close twice is
// safe.
func (m *Member) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	m.mu.Unlock()
	m.cancel()
	m.wg.Wait()
}
