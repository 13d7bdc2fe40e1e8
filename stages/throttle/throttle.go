// Package throttle is the stage that bounds how many requests are in the
// rest of the pipeline at once, with a bounded backlog of requests waiting
// for their turn, like chi's Throttle middleware:
//
//	th, err := throttle.New("throttle", throttle.Config{Limit: 100, Backlog: 200, BacklogTimeout: 2 * time.Second})
//	if err != nil { … }
//	app.Group("/reports", th) // at most 100 report requests at once
//
// A request takes a slot and goes on; with none free it waits in the
// backlog, at most Config.BacklogTimeout; with the backlog full it gets 503
// with Retry-After at once, and so does one that waited too long.
//
// A request holds its slot until it comes back through the stage's
// after-phase: when the handler has answered, when a later stage ended it
// early, or — for an exchange abandoned downstream (its deadline passed,
// its client went away) — when the stage working on it is done, since the
// pipeline runs every after-phase owed. So the limit bounds the work in
// progress, as chi's does: a handler that ignores its context keeps its
// slot until it returns.
//
// The stage is Stateless: a request waits for its slot on its own
// goroutine, so waiting never holds up another request's release.
package throttle

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/troupe-go/troupe/actors"
)

// Config configures a throttle stage.
type Config struct {
	// Limit is how many requests may be in the rest of the pipeline at
	// once. Required.
	Limit int `yaml:"limit"`
	// Backlog is how many more may wait for a slot. Past it, requests get
	// 503 at once. Zero (the default): none wait.
	Backlog int `yaml:"backlog"`
	// BacklogTimeout is how long a request waits for a slot before it gets
	// 503. Zero (the default): as long as the request's deadline allows
	// (past it the client gets 504).
	BacklogTimeout time.Duration `yaml:"backlog_timeout"`
	// RetryAfter is the Retry-After of the 503s. Defaults to 1s.
	RetryAfter time.Duration `yaml:"retry_after"`
}

// Priority is the priority of a throttle stage: actors.Global, so that a
// request waits for its turn before the other stages do any work.
const Priority = actors.Global

// New returns the Spec of a throttle stage named name: Stateless, of
// priority Priority.
func New(name string, cfg Config) (*actors.Spec, error) {
	if cfg.Limit < 1 || cfg.Backlog < 0 || cfg.BacklogTimeout < 0 || cfg.RetryAfter < 0 {
		return nil, fmt.Errorf("throttle %q: limit must be positive; backlog, backlog_timeout and retry_after must not be negative", name)
	}
	if cfg.RetryAfter == 0 {
		cfg.RetryAfter = time.Second
	}
	th := &throttle{
		slots:   make(chan struct{}, cfg.Limit),
		backlog: int64(cfg.Backlog),
		timeout: cfg.BacklogTimeout,
		full:    &actors.Error{Status: http.StatusServiceUnavailable, Detail: "the server is busy: too many requests are waiting", RetryAfter: cfg.RetryAfter},
		waited:  &actors.Error{Status: http.StatusServiceUnavailable, Detail: "the server is busy: the request waited too long for its turn", RetryAfter: cfg.RetryAfter},
	}
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: Priority, Stage: th}, nil
}

// throttle is the stage, shared by every request: its state is a
// semaphore channel and an atomic count.
type throttle struct {
	// slots holds a token for each request in the rest of the pipeline.
	// Its capacity is Config.Limit, which makes it a semaphore: when it is
	// full, Process waits in the backlog or refuses.
	slots   chan struct{}
	waiting atomic.Int64 // requests in the backlog
	backlog int64
	timeout time.Duration
	full    *actors.Error // the backlog is full
	waited  *actors.Error // BacklogTimeout passed
	// onWait, if set, is called when a request joins the backlog. Tests
	// use it to know that a request waits.
	onWait func()
}

var _ actors.AfterStage = (*throttle)(nil)

// Process takes a slot for the exchange, waiting in the backlog if there
// is room there, or ends the exchange with 503. It returns nil exactly
// when it took a slot, so After, which runs exactly when Process returned
// nil, gives back exactly the slots taken.
func (th *throttle) Process(ex *actors.Exchange) error {
	select {
	case th.slots <- struct{}{}:
		return nil
	default:
	}
	if th.waiting.Add(1) > th.backlog {
		th.waiting.Add(-1)
		return th.full
	}
	defer th.waiting.Add(-1)
	if th.onWait != nil {
		th.onWait()
	}
	var expired <-chan time.Time
	if th.timeout > 0 {
		t := time.NewTimer(th.timeout)
		defer t.Stop()
		expired = t.C
	}
	ctx := ex.Request.Context()
	select {
	case th.slots <- struct{}{}:
		return nil
	case <-expired:
		return th.waited
	case <-ctx.Done():
		// The client went away, or the ingress answered 504 at the
		// deadline and returned: nobody waits for the answer any more.
		return context.Cause(ctx)
	}
}

// After gives the exchange's slot back.
func (th *throttle) After(*actors.Exchange) { <-th.slots }
