package bench

import (
	"context"
	"net"
	"net/http"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/overload"
	"go.uber.org/zap"
)

// OverloadTroupe is the overload scenario's troupe peer: the workload
// declared as a user would, one handler Spec with Concurrency
// OverloadSlots serving both GET OverloadPath and GET
// OverloadCriticalPath (so they share its slots), the latter marked
// critical (markCritical). Its admin listener is on a free loopback port,
// for /metrics. Start and Shutdown are each called once.
type OverloadTroupe struct {
	st  *ServiceTime
	log *zap.Logger
	cfg troupe.Config
	// uncapped declares the handler without Concurrency: it takes one of
	// OverloadSlots places itself, as code that calls a pool of 16
	// database connections does, and only the ingress's adaptive limit
	// stands between the load and that wait.
	uncapped bool
	app      *troupe.App // made by Start
}

// NewOverloadTroupeUncapped returns the troupe peer of the workload st
// with troupe's default configuration and a handler that declares no
// Concurrency, waiting for one of OverloadSlots places of its own (a
// database pool, say): what a user writes by default.
func NewOverloadTroupeUncapped(st *ServiceTime, log *zap.Logger) *OverloadTroupe {
	p := newOverloadTroupe(st, log, troupe.Config{})
	p.uncapped = true
	return p
}

// NewOverloadTroupe returns the troupe peer of the workload st with
// troupe's default configuration, logging to log.
func NewOverloadTroupe(st *ServiceTime, log *zap.Logger) *OverloadTroupe {
	return newOverloadTroupe(st, log, troupe.Config{})
}

// NewOverloadTroupeStatic returns the troupe peer of the workload st with
// today's static admission limit written out (staticOverloadConfig),
// logging to log.
func NewOverloadTroupeStatic(st *ServiceTime, log *zap.Logger) *OverloadTroupe {
	var cfg troupe.Config
	staticOverloadConfig(&cfg)
	return newOverloadTroupe(st, log, cfg)
}

// staticOverloadConfig sets cfg's overload control to the static limit
// alone: the adaptive limit off, at most max_in_flight (1024) requests
// admitted at once, 503 with Retry-After past it. It is the one place the
// troupe-static peer differs from the troupe peer.
func staticOverloadConfig(cfg *troupe.Config) {
	cfg.HTTP.MaxInFlight = 1024
	cfg.HTTP.StaticLimit = true // the adaptive limit off: max_in_flight alone
}

// markCritical marks the requests of app's route r as critical, so that
// overload control sheds other requests before them. r shares its handler
// Spec, and so its slots, with the route of OverloadPath.
func markCritical(_ *troupe.App, r *troupe.Route) {
	r.Criticality(overload.Critical)
}

func newOverloadTroupe(st *ServiceTime, log *zap.Logger, cfg troupe.Config) *OverloadTroupe {
	return &OverloadTroupe{st: st, log: log, cfg: cfg}
}

// Start declares the app, builds it and serves on addr ("" means
// 127.0.0.1 on a free port) until Shutdown; its admin listener takes a
// free loopback port.
func (p *OverloadTroupe) Start(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	cfg := p.cfg
	cfg.HTTP.Addr = addr
	cfg.Admin.Addr = "127.0.0.1:0"
	app := troupe.New(cfg, troupe.WithLogger(p.log))
	st := p.st
	pool := make(chan struct{}, OverloadSlots) // the uncapped handler's own places
	work := troupe.Handler("work", func(ex *actors.Exchange) error {
		if p.uncapped {
			select {
			case pool <- struct{}{}:
				defer func() { <-pool }()
			case <-ex.Context().Done():
				return ex.Context().Err()
			}
		}
		st.work()
		ex.Respond(http.StatusOK, "text/plain; charset=utf-8", []byte(OverloadBody))
		return nil
	})
	if !p.uncapped {
		work.Concurrency = OverloadSlots
	}
	app.Handle(http.MethodGet, OverloadPath, work)
	markCritical(app, app.Handle(http.MethodGet, OverloadCriticalPath, work))
	p.app = app
	return app.Start()
}

// Addr returns the address the peer serves on, once started.
func (p *OverloadTroupe) Addr() net.Addr { return p.app.Addr() }

// AdminAddr returns the address of the peer's admin listener, once
// started.
func (p *OverloadTroupe) AdminAddr() net.Addr { return p.app.AdminAddr() }

// Shutdown stops the app gracefully.
func (p *OverloadTroupe) Shutdown(ctx context.Context) error { return p.app.Shutdown(ctx) }
