// Package maintenance is the stage that takes a server (or a group of
// routes) out of service for maintenance: while it is on, requests get 503
// with Retry-After and a problem detail saying why, except those for the
// paths on its allow-list, such as health checks and status pages.
//
//	spec, err := maintenance.New("maintenance", maintenance.Config{
//		RetryAfter: 5 * time.Minute,
//		Message:    "back soon: we are upgrading the database",
//		Allow:      []string{"/status", "/api/health"},
//	})
//	if err != nil { … }
//	app.Use(spec)
//	m, _ := maintenance.Of(spec)
//	for pattern, h := range m.AdminRoutes() { // PUT and GET /maintenance/maintenance
//		app.AdminHandle(pattern, h)
//	}
//	m.Switch().Set(maintenance.Mode{Enabled: true, RetryAfter: 5 * time.Minute})
//
// It is switched from Go (Of(spec).Switch()), from the configuration
// (enabled: true), or on the admin listener: PUT /maintenance/{stage name} with
// {"enabled": true, "retry_after": "30s", "message": "…"}, and GET for the
// current mode. The configuration's Build mounts those routes itself.
package maintenance

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// Config configures a maintenance stage.
type Config struct {
	// Enabled starts the stage switched on.
	Enabled bool `yaml:"enabled"`
	// RetryAfter is the Retry-After of the 503s, also when the switch is
	// flipped without one. Defaults to 60s.
	RetryAfter time.Duration `yaml:"retry_after"`
	// Message is the problem detail of the 503s, also when the switch is
	// flipped without one. Defaults to DefaultMessage.
	Message string `yaml:"message"`
	// Allow lists path prefixes that stay in service: "/status" lets
	// "/status" and "/status/db" through, not "/statusx". Paths are the
	// canonical ones routes are matched on (Exchange.Path).
	Allow []string `yaml:"allow"`
}

// DefaultMessage is the default problem detail of the 503s.
const DefaultMessage = "the service is down for maintenance"

// DefaultRetryAfter is the default Retry-After of the 503s.
const DefaultRetryAfter = time.Minute

// Priority is the priority of a maintenance stage: actors.Global, so that
// a request out of service is refused before any other stage works on it.
const Priority = actors.Global

// Stage is a maintenance stage: a stateless stage, safe for concurrent use,
// with its Switch and its admin routes. It is the Stage of the Spec New
// returns; Of finds it there.
type Stage struct {
	name     string
	sw       Switch
	defaults Mode // retry_after and message from the configuration
	allow    []string
}

var (
	_ actors.Stage       = (*Stage)(nil)
	_ config.AdminRouter = (*Stage)(nil)
)

// New returns the Spec of a maintenance stage named name: stateless, of
// priority Priority, its Stage a *Stage (see Of). The name is the last
// segment of its admin routes. It fails for an allow-list path that does
// not start with "/" or a negative RetryAfter.
func New(name string, cfg Config) (*actors.Spec, error) {
	s, err := newStage(name, cfg)
	if err != nil {
		return nil, err
	}
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: Priority, Stage: s}, nil
}

// Of returns the maintenance stage of spec, a Spec that New returned, for
// its Switch and its admin routes; false for any other Spec.
func Of(spec *actors.Spec) (*Stage, bool) {
	s, ok := spec.Stage.(*Stage)
	return s, ok
}

// newStage returns the stage named name that cfg describes.
func newStage(name string, cfg Config) (*Stage, error) {
	if cfg.RetryAfter < 0 {
		return nil, errors.New("maintenance: retry_after must not be negative")
	}
	if cfg.RetryAfter == 0 {
		cfg.RetryAfter = DefaultRetryAfter
	}
	if cfg.Message == "" {
		cfg.Message = DefaultMessage
	}
	s := &Stage{name: name, defaults: Mode{RetryAfter: cfg.RetryAfter, Message: cfg.Message}}
	for _, p := range cfg.Allow {
		if !strings.HasPrefix(p, "/") {
			return nil, errors.New("maintenance: allow paths must start with /, got " + p)
		}
		s.allow = append(s.allow, strings.TrimRight(p, "/"))
	}
	m := s.defaults
	m.Enabled = cfg.Enabled
	s.sw.Set(m)
	return s, nil
}

// Switch returns the stage's switch.
func (s *Stage) Switch() *Switch { return &s.sw }

// Process lets the exchange go on unless maintenance is on and its path is
// not allowed, in which case it ends it with 503.
func (s *Stage) Process(ex *actors.Exchange) error {
	m := s.sw.load()
	if m == nil || !m.Enabled || s.allowed(ex.Path) {
		return nil
	}
	return &actors.Error{Status: http.StatusServiceUnavailable, Detail: m.Message, RetryAfter: m.RetryAfter}
}

// allowed reports whether path is on the allow-list: one of its prefixes,
// segment by segment.
func (s *Stage) allowed(path string) bool {
	for _, p := range s.allow {
		if p == "" || path == p || strings.HasPrefix(path, p) && path[len(p)] == '/' {
			return true
		}
	}
	return false
}
