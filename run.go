package troupe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/internal/admin"
	"github.com/troupe-go/troupe/internal/metrics"
	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/supervisor"
	"go.uber.org/zap"
)

// ErrStarted is returned when an app is built twice (Handler, Start or Run).
var ErrStarted = errors.New("troupe: app already started")

// Handler builds the app — spawns its stage actors under their supervisors
// — and returns it as an http.Handler, with the WithMiddleware middleware
// around the ingress. Use it to mount troupe in a server of your own: the
// app is ready (/readyz) from then on; serve AdminHandler wherever your
// operators look; call Close once your server has drained.
func (a *App) Handler() (http.Handler, error) {
	h, err := a.handler()
	if err != nil {
		return nil, err
	}
	a.ready.Store(true)
	return h, nil
}

// AdminHandler returns the app's admin endpoints — /healthz, /readyz,
// /metrics, /debug/pprof/, the live page (/ and /api/) and what AdminHandle
// added — for an app mounted with Handler, whose admin listener does not
// run. It fails before the app is built.
func (a *App) AdminHandler() (http.Handler, error) {
	if a.metrics == nil {
		return nil, errors.New("troupe: AdminHandler before Handler or Start")
	}
	return a.adminMux(), nil
}

// adminMux returns the admin endpoints. A browser's cross-origin POST
// to them (POST /reload, a job's replay) is refused 403: any page an
// operator visits could otherwise send one to a loopback admin address,
// since a form-like POST needs no preflight. Requests without the
// browser's Sec-Fetch-Site or Origin headers (curl, scripts) and the live
// page's own same-origin calls pass.
func (a *App) adminMux() http.Handler {
	mux := admin.Handler(a.metrics.Registry(), a.readiness)
	a.mountLive(mux)
	a.live.admin.mount(mux, a.adminRoutes) // through a table that Update changes
	return http.NewCrossOriginProtection().Handler(mux)
}

// handler builds the app and returns its ingress, wrapped in its
// middleware.
func (a *App) handler() (http.Handler, error) {
	if err := a.build(); err != nil {
		return nil, err
	}
	var h http.Handler = a.ingress
	for i := len(a.middleware) - 1; i >= 0; i-- {
		h = a.middleware[i](h)
	}
	return h, nil
}

func (a *App) build() error {
	if a.sys != nil {
		return ErrStarted
	}
	if err := errors.Join(a.cfg.HTTP.Validate(), a.validatePolicies()); err != nil {
		return err
	}
	a.sys = actors.NewSystem(a.log)
	a.tree = supervisor.NewTree(a.sys, a.clock)
	table, rejections, hops, err := a.plan()
	if err == nil {
		for _, h := range hops {
			if err = a.tree.Supervise(h); err != nil {
				break
			}
		}
	}
	if err != nil {
		a.closeBounded()
		return err
	}
	a.metrics = metrics.New()
	a.metrics.Registry().MustRegister(metrics.NewStageCollector(a.tree, a.live.currentHops))
	if err := a.startComponents(); err != nil {
		a.closeBounded()
		return err
	}
	a.ingress = httpin.NewIngress(a.cfg.HTTP, table, a.log.Named("ingress"), a.metrics, httpin.WithRejections(rejections), a.tracing())
	a.live.begin(a, hops)
	a.metrics.WatchInFlight(a.ingress.InFlight)
	a.metrics.Registry().MustRegister(metrics.NewOverloadCollector(a.limiters))
	return nil
}

// Close stops the components and the actors of an app mounted with
// Handler, waiting for them until ctx ends. Call it after the server in
// front of the app has drained; for an app started with Start or Run,
// Shutdown does it. It is safe to call twice.
func (a *App) Close(ctx context.Context) error {
	a.ready.Store(false)
	return a.close(ctx)
}

// Drain begins the shutdown of an app mounted with Handler: /readyz turns
// false, and components that hold work back (batchers) stop holding it.
// Call it before your server's Shutdown, then Close once it has drained.
// (Shutdown does all of it for an app started with Start or Run.)
func (a *App) Drain() {
	a.ready.Store(false)
	a.live.mu.Lock() // not while an Update changes the components
	defer a.live.mu.Unlock()
	a.drainComponents()
}

// closeBounded cleans up after a failed start, waiting at most 10 s.
func (a *App) closeBounded() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = a.close(ctx) // what failed is logged by the tree; the start's error is returned
}

func (a *App) close(ctx context.Context) error {
	err := a.live.halt(ctx, a) // retired generations' components first
	if a.ingress != nil {      // built: the components were started
		a.componentsOnce.Do(func() { err = errors.Join(err, a.stopComponents(ctx, a.components)) })
	}
	if a.tree != nil {
		err = errors.Join(err, a.tree.Stop(ctx))
	}
	if a.sys != nil {
		err = errors.Join(err, a.sys.Stop(ctx))
	}
	return err
}

// Start builds the app and starts serving on the configured listener and
// the admin listener; it returns once both accept connections.
func (a *App) Start() error {
	h, err := a.handler()
	if err != nil {
		return err
	}
	opts := []httpin.ServerOption{httpin.WithConnObserver(a.metrics)}
	if a.listener != nil {
		opts = append(opts, httpin.WithListener(a.listener))
	}
	a.server = httpin.NewServer(a.cfg.HTTP, h, a.sys, opts...)
	if err := a.server.Start(); err != nil {
		a.closeBounded()
		return err
	}
	if addr := a.cfg.Admin.Addr; addr != "off" {
		if addr == "" {
			addr = "127.0.0.1:9090"
		}
		if err := a.startAdmin(addr); err != nil {
			_ = a.server.Drain(context.Background())
			a.closeBounded()
			return err
		}
	}
	a.ready.Store(true)
	return nil
}

// Addr returns the address the app serves on, or nil before Start.
func (a *App) Addr() net.Addr {
	if a.server == nil {
		return nil
	}
	return a.server.Addr()
}

// AdminAddr returns the admin listener's address, or nil when it is off.
func (a *App) AdminAddr() net.Addr {
	if a.adminLn == nil {
		return nil
	}
	return a.adminLn.Addr()
}

// Run starts the app, serves until ctx ends, then shuts down gracefully
// and returns what Shutdown returns. If serving fails first (the listener
// broke), /readyz turns false at once, the app shuts down, and Run returns
// that failure.
func (a *App) Run(ctx context.Context) error {
	if err := a.Start(); err != nil {
		return err
	}
	var failed error
	select {
	case <-ctx.Done():
	case <-a.server.Failed():
		a.ready.Store(false)
		failed = a.server.Err()
		a.log.Error("serving failed; shutting down", zap.Error(failed))
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.HTTP.WithDefaults().ShutdownTimeout)
	defer cancel()
	if err := a.Shutdown(sctx); failed == nil {
		return err
	}
	return failed
}

// Shutdown stops the app gracefully: /readyz turns false, the listener
// closes, every request already accepted is answered, the stage actors
// stop, then the admin listener, and the log is synced. Requests still
// running when ctx ends are cut off.
func (a *App) Shutdown(ctx context.Context) error {
	a.shutdownOnce.Do(func() { a.shutdownErr = a.shutdown(ctx) })
	return a.shutdownErr
}

func (a *App) shutdown(ctx context.Context) error {
	a.log.Info("shutting down")
	var err error
	a.Drain()
	if a.server != nil { // nil when the app was only mounted with Handler
		err = a.server.Drain(ctx)
	}
	err = errors.Join(err, a.close(ctx))
	if a.admin != nil {
		err = errors.Join(err, a.admin.Shutdown(ctx))
		a.adminDone.Wait()
	}
	a.log.Info("stopped")
	_ = a.log.Sync() // fails on a terminal's stderr; nothing to do about it
	return err
}

// The admin listener's connection caps: probes, scrapes and an operator
// need a handful of connections.
const (
	adminMaxConnections      = 64
	adminMaxConnectionsPerIP = 16
)

func (a *App) startAdmin(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("admin listener: %w", err)
	}
	adminLog := a.log.Named("admin")
	errLog, err := httpin.NewErrorLog(adminLog)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("admin listener: %w", err)
	}
	// A cap of its own, well inside the reserve the main listener's default
	// cap leaves, so that health checks still get in when the main
	// listener is full.
	ln = httpin.LimitListener(ln, httpin.ConnLimits{Max: adminMaxConnections, PerIP: adminMaxConnectionsPerIP}, adminLog, a.metrics)
	a.adminLn = ln
	a.admin = &http.Server{
		Handler:           a.adminMux(),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          errLog,
	}
	a.adminDone.Go(func() {
		if err := a.admin.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("admin listener failed", zap.Error(err))
		}
	})
	a.log.Info("admin listening", zap.String("addr", ln.Addr().String()))
	return nil
}

func (a *App) readiness() (ready bool, reasons, degraded []string) {
	if !a.ready.Load() {
		reasons = append(reasons, "not serving (starting or shutting down)")
	}
	if a.server != nil {
		if err := a.server.Err(); err != nil {
			reasons = append(reasons, "not serving: "+err.Error())
		}
	}
	// Only a critical stage that is down makes the server unready; the
	// others are answered 503 on their own routes (and shown on /metrics).
	for _, h := range a.tree.Health() {
		switch {
		case !h.Down():
		case h.Critical():
			reasons = append(reasons, "critical stage "+h.Name()+" is down")
		default:
			degraded = append(degraded, "stage "+h.Name()+" is down; its routes answer 503")
		}
	}
	degraded = append(degraded, a.degradedComponents()...)
	return len(reasons) == 0, reasons, degraded
}

// limiters returns the overload limiters to report on /metrics: the
// ingress's adaptive limit, if on, and each stage's concurrency cap.
func (a *App) limiters() []metrics.Limiter {
	var out []metrics.Limiter
	if l := a.ingress.Limiter(); l != nil {
		out = append(out, metrics.Limiter{Name: "ingress", L: l})
	}
	seen := map[*actors.Spec]bool{}
	for _, h := range a.live.currentHops() {
		for _, s := range h.Specs() {
			if l := pipeline.Limiter(s); l != nil && !seen[s] {
				seen[s] = true
				out = append(out, metrics.Limiter{Name: "stage:" + s.Name, L: l})
			}
		}
	}
	return out
}
