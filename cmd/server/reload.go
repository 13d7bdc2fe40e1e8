package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/config"
	"go.uber.org/zap"
)

// overrides are the command line's settings that replace the file's, on
// every load of it.
type overrides struct {
	addr, adminAddr, logFormat string
}

// apply puts the overrides into cfg.
func (o overrides) apply(cfg *config.Config) {
	if o.addr != "" {
		cfg.App.HTTP.Addr = o.addr
	}
	if o.adminAddr != "" {
		cfg.App.Admin.Addr = o.adminAddr
	}
	if o.logFormat != "" {
		cfg.Log.Format = o.logFormat
	}
}

// reloader reloads the configuration of a running server: on SIGHUP, on
// POST /reload on the admin listener, and with -watch when the file
// changes. Reloads are serialised.
type reloader struct {
	mu   sync.Mutex
	path string // "" for the built-in configuration
	reg  *config.Registry
	over overrides
	cur  *config.Config // the configuration serving
	boot *config.Config // the one the server started with: its server-level settings stay
	app  *troupe.App
	log  *zap.Logger

	// also reloads what the configuration file does not hold, after the
	// file on every reload that applied: the hook for the TLS
	// certificate's Reload. Its failure is reported, and the
	// configuration stays applied.
	also []func() error

	// reloaded, if set, is called after each reload attempt (tests).
	reloaded func(*reloadReport, error)
}

// reloadReport is what a reload did: POST /reload's answer.
type reloadReport struct {
	// Config is the file reloaded.
	Config string `json:"config"`
	*troupe.Changes
	// NeedsRestart lists the settings that changed and are not applied
	// until the server restarts (config.Config.NeedsRestart).
	NeedsRestart []string `json:"needs_restart,omitempty"`
	// Failed lists what failed to reload besides the file (reloader.also).
	Failed []string `json:"failed,omitempty"`
}

// refused is a configuration that did not load: 422, with its errors.
type refused struct{ err error }

func (e *refused) Error() string   { return e.err.Error() }
func (e *refused) Unwrap() error   { return e.err }
func (e *refused) HTTPStatus() int { return http.StatusUnprocessableEntity }

// reload reads the configuration again and applies it: everything is
// checked before anything changes, and on error the running configuration
// stays.
func (r *reloader) reload(context.Context) (*reloadReport, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep, err := r.reloadLocked()
	if err != nil {
		r.log.Error("configuration not reloaded; the running one is unchanged", zap.String("config", r.cur.File), zap.Error(err))
	} else {
		r.log.Info("configuration reloaded", zap.String("config", rep.Config),
			zap.Strings("routes_added", rep.RoutesAdded), zap.Strings("routes_removed", rep.RoutesRemoved),
			zap.Strings("stages_replaced", rep.StagesReplaced), zap.Strings("needs_restart", rep.NeedsRestart), zap.Strings("failed", rep.Failed))
	}
	if r.reloaded != nil {
		r.reloaded(rep, err)
	}
	return rep, err
}

func (r *reloader) reloadLocked() (*reloadReport, error) {
	var next *config.Config
	var err error
	if r.path == "" {
		next, err = config.ParseNext(defaultConfigName, defaultConfig, r.reg, r.cur)
	} else {
		next, err = config.LoadNext(r.path, r.reg, r.cur)
	}
	if err != nil {
		return nil, &refused{err}
	}
	r.over.apply(next)
	ch, err := next.Apply(r.app)
	if err != nil {
		return nil, &refused{fmt.Errorf("%s: %w", next.File, err)}
	}
	rep := &reloadReport{Config: next.File, Changes: ch, NeedsRestart: next.NeedsRestart(r.boot)}
	r.cur = next
	for _, f := range r.also {
		if err := f(); err != nil {
			rep.Failed = append(rep.Failed, err.Error())
		}
	}
	return rep, nil
}
