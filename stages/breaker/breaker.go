package breaker

import (
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/httpstatus"
)

// Priority is the priority of a breaker stage: actors.Terminating, so that
// it wraps the handler, and the stages before it (authentication,
// validation) run before it asks the breaker.
const Priority = actors.Terminating

// New returns the Spec of a breaker stage named name: Stateless, of
// priority Priority, with a circuit breaker of its own around the rest of
// the route. A Spec used on several routes (app.Use, a group) is one
// breaker for them all. Add Metrics(spec) to the app for its metrics.
func New(name string, cfg Config) (*actors.Spec, error) {
	cfg = cfg.withDefaults()
	failures, err := cfg.check(name)
	if err != nil {
		return nil, err
	}
	b := &breaker{
		name:     name,
		open:     cfg.OpenTimeout,
		slow:     cfg.SlowCallDuration,
		failures: failures,
		fallback: cfg.Fallback,
		call:     actors.NewKey[call]("breaker " + name),
		m:        newMetrics(name),
	}
	st := cfg.settings(name)
	st.OnStateChange = b.changed
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](st)
	b.m.watch(b.State)
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: Priority, Stage: b}, nil
}

// breaker is the stage, shared by every request: gobreaker's breaker
// under its own mutex, and the time it last opened.
type breaker struct {
	name     string
	cb       *gobreaker.TwoStepCircuitBreaker[struct{}]
	open     time.Duration // Config.OpenTimeout
	slow     time.Duration // Config.SlowCallDuration
	failures httpstatus.Set
	fallback *Fallback
	call     actors.Key[call] // the admission of the exchange, from Process to After
	m        *metrics

	openedAt atomic.Int64 // unix nanoseconds of the last change to open
}

// call is an admitted exchange: gobreaker's report function and when the
// breaker let it through.
type call struct {
	done  func(error)
	start time.Time
}

var _ actors.AfterStage = (*breaker)(nil)

// Process asks the breaker to let the exchange through. It returns nil
// when the breaker admitted it (After then reports the outcome), and
// otherwise answers with the fallback (nil, the exchange ended) or
// returns the 503.
//
// A CORS preflight passes without asking (After then reports nothing): it
// never reaches the handler, so it says nothing of what the breaker
// guards, and must not take a half-open probe slot.
func (b *breaker) Process(ex *actors.Exchange) error {
	if ex.Preflight() {
		return nil
	}
	done, err := b.cb.Allow()
	if err != nil {
		return b.refuse(ex, err)
	}
	b.call.Set(ex, call{done: done, start: time.Now()})
	return nil
}

// After reports the exchange's outcome to the breaker.
func (b *breaker) After(ex *actors.Exchange) {
	c, ok := b.call.Get(ex)
	if !ok {
		return
	}
	o := b.outcome(ex, time.Since(c.start))
	c.done(o.err())
	b.m.calls[o].Inc()
}

// refuse answers an exchange the breaker refused with err.
func (b *breaker) refuse(ex *actors.Exchange, err error) error {
	refusedKey.Set(ex, true)
	reason, retry, detail := rejectOpen, b.openFor(time.Now()), "circuit open: breaker "+b.name+" refuses requests while what it guards recovers"
	if errors.Is(err, gobreaker.ErrTooManyRequests) {
		reason, retry, detail = rejectHalfOpen, time.Second, "circuit open: breaker "+b.name+" is half-open and every probe is out"
	}
	b.m.rejects[reason].Inc()
	if f := b.fallback; f != nil {
		ex.Respond(f.Status, f.ContentType, []byte(f.Body))
		return nil
	}
	// No Err: a refusal is the breaker at work, on /metrics, not a
	// failure to log once per request.
	return &actors.Error{Status: http.StatusServiceUnavailable, Detail: detail, RetryAfter: retry}
}

// openFor returns how long the breaker stays open from now: at least a
// millisecond, so that a Retry-After is always sent (rounded up to 1 s).
func (b *breaker) openFor(now time.Time) time.Duration {
	left := time.Unix(0, b.openedAt.Load()).Add(b.open).Sub(now)
	return max(left, time.Millisecond)
}

// changed is gobreaker's OnStateChange, called under its mutex.
func (b *breaker) changed(_ string, from, to gobreaker.State) {
	if to == gobreaker.StateOpen {
		b.openedAt.Store(time.Now().UnixNano())
	}
	b.m.transition(stateOf(from), stateOf(to))
}

// State returns the breaker's state now.
func (b *breaker) State() State { return stateOf(b.cb.State()) }

// StateOf returns the state of the breaker of spec, a Spec made by New.
// It panics for any other Spec.
func StateOf(spec *actors.Spec) State { return of(spec).State() }

// of returns the breaker stage of spec.
func of(spec *actors.Spec) *breaker {
	b, ok := spec.Stage.(*breaker)
	if !ok {
		panic(fmt.Sprintf("breaker: spec %q was not made by breaker.New", spec.Name))
	}
	return b
}

// refusedKey marks an exchange that a breaker stage refused, so that a
// breaker around that one counts it as neutral.
var refusedKey = actors.NewKey[bool]("breaker refused")
