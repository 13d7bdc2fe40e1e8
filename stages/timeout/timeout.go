// Package timeout is the stage that gives a group of routes (or one route)
// a shorter deadline than the server's request_timeout: past it the client
// gets 504, wherever the request is then, and Exchange.Context carries the
// deadline to whatever the handler calls.
//
//	t, err := timeout.New("search-timeout", timeout.Config{Timeout: 800 * time.Millisecond})
//	if err != nil { … }
//	app.Group("/search", t)
//
// The deadline counts from when the ingress admitted the request
// (Exchange.Start), and only ever comes earlier: with several timeouts on a
// route (the server's, the route's own, this stage on a group and on the
// route), the shortest wins. For a single route, Route.Timeout does the
// same without a stage; this stage is for groups and for the configuration
// file's stage lists.
//
// A request that reaches the stage already past its deadline (it queued
// behind slow stages) gets 504 at once. Otherwise the stage lowers the
// deadline with Exchange.Shorten, and the ingress answers 504 when it
// passes.
package timeout

import (
	"errors"
	"net/http"
	"time"

	"github.com/troupe-go/troupe/actors"
)

// Config configures a timeout stage.
type Config struct {
	// Timeout is how long after its start a request may take. Required.
	Timeout time.Duration `yaml:"timeout"`
}

// Priority is the priority of a timeout stage: actors.Global, so that the
// deadline is lowered before the other stages run.
const Priority = actors.Global

// Stage is a timeout stage: a stateless stage, safe for concurrent use. It
// is the Stage of the Spec New returns.
type Stage struct {
	d       time.Duration
	expired *actors.Error // answered when the deadline has passed already
}

var _ actors.Stage = (*Stage)(nil)

// New returns the Spec of a timeout stage named name: stateless, of
// priority Priority, its Stage a *Stage. It fails if cfg.Timeout is not
// positive.
func New(name string, cfg Config) (*actors.Spec, error) {
	if cfg.Timeout <= 0 {
		return nil, errors.New("timeout: option timeout must be a positive duration such as 800ms")
	}
	st := &Stage{
		d:       cfg.Timeout,
		expired: actors.Errorf(http.StatusGatewayTimeout, "the request did not complete within %s", cfg.Timeout),
	}
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: Priority, Stage: st}, nil
}

// Process lowers the exchange's deadline to its start plus the timeout, if
// that is earlier, or ends it with 504 if that time has already passed.
func (s *Stage) Process(ex *actors.Exchange) error {
	now := time.Now()
	start := ex.Start
	if start.IsZero() {
		start = now
	}
	deadline := start.Add(s.d)
	if !ex.Deadline.IsZero() && !deadline.Before(ex.Deadline) {
		return nil // an earlier deadline stands
	}
	if !now.Before(deadline) {
		return s.expired
	}
	ex.Shorten(deadline)
	return nil
}
