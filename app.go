package troupe

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/internal/metrics"

	"github.com/troupe-go/troupe/jobs"
	"github.com/troupe-go/troupe/supervisor"
	"go.uber.org/zap"
)

// Config configures an App. The zero value is usable: every field has a
// default.
type Config struct {
	// HTTP configures the listener, its timeouts and limits.
	HTTP httpin.Config
	// Admin configures the admin listener.
	Admin AdminConfig
	// Supervision is the restart policy of every stage not named in
	// Policies.
	Supervision supervisor.Policy
	// Policies holds restart policies by stage name.
	Policies map[string]supervisor.Policy
}

// AdminConfig configures the admin listener: /healthz, /readyz, /metrics and
// /debug/pprof.
type AdminConfig struct {
	// Addr is where it listens. Defaults to "127.0.0.1:9090"; "off" turns
	// the admin listener off.
	Addr string
}

// App is a troupe server being declared, then running. Declare its stages
// and routes first (not safe for concurrent use), then call Run or Handler
// once.
type App struct {
	root *Group // the app's own group: global stages, top-level routes

	cfg         Config
	log         *zap.Logger
	clock       supervisor.Clock
	middleware  []func(http.Handler) http.Handler
	routes      []*Route
	adminRoutes []adminRoute
	components  []Component
	trace       traceConfig // WithTracerProvider's

	queues     []*JobQueue   // jobs.go
	jobStore   jobs.Store    // jobs.go
	jobOpts    []jobs.Option // jobs.go
	jobs       *jobs.Runner  // jobs.go: made by the plan
	jobPrefix  string        // jobs_http.go: where JobRoutes put the job routes
	jobWebhook string        // jobs_admin.go: the alert webhook's URL, or ""
	jobsLive   liveJobs      // jobs_live.go: the live page's reads of the store
	enqueues   []string      // jobs_http.go: the queues enqueue routes name

	componentsOnce sync.Once // components are stopped once

	metrics   *metrics.Metrics
	sys       *actors.System
	tree      *supervisor.Tree
	ingress   *httpin.Ingress
	server    *httpin.Server
	admin     *http.Server
	adminLn   net.Listener
	listener  net.Listener // from WithListener, or nil
	adminDone sync.WaitGroup
	ready     atomic.Bool

	shutdownOnce sync.Once
	shutdownErr  error

	live live // the running app's generation, Update and retirement (live.go, update.go)
}

// Option configures an App.
type Option interface{ apply(*App) }

type optionFunc func(*App)

func (f optionFunc) apply(a *App) { f(a) }

// WithLogger sets the logger. Defaults to a production zap logger.
func WithLogger(log *zap.Logger) Option { return optionFunc(func(a *App) { a.log = log }) }

// WithClock sets the clock supervision uses for failure windows and
// back-offs. Defaults to the system clock; tests inject a fake one.
func WithClock(c supervisor.Clock) Option { return optionFunc(func(a *App) { a.clock = c }) }

// WithListener makes the app serve on ln, which it then owns, instead of
// listening on Config.HTTP.Addr: a socket handed over by a service
// manager, or one a test controls.
func WithListener(ln net.Listener) Option { return optionFunc(func(a *App) { a.listener = ln }) }

// WithMiddleware wraps the ingress in ordinary net/http middleware, the
// first one outermost. It runs before troupe's own admission control.
func WithMiddleware(mw ...func(http.Handler) http.Handler) Option {
	return optionFunc(func(a *App) { a.middleware = append(a.middleware, mw...) })
}

// New returns an app with no routes.
func New(cfg Config, opts ...Option) *App {
	a := &App{cfg: cfg}
	a.root = &Group{app: a}
	for _, o := range opts {
		o.apply(a)
	}
	if a.log == nil {
		a.log = zap.Must(zap.NewProduction())
	}
	return a
}

// Logger returns the app's logger.
func (a *App) Logger() *zap.Logger { return a.log }

// Routes returns the routes declared so far, in order. Once the app runs,
// Update changes them: read them then inside Update (Router.Routes).
func (a *App) Routes() []*Route { return a.routes }

func (a *App) policy(stage string) supervisor.Policy {
	if p, ok := a.cfg.Policies[stage]; ok {
		return p
	}
	return a.cfg.Supervision
}

// Use adds global stages: every route runs them.
func (a *App) Use(stages ...*actors.Spec) *App {
	a.root.Use(stages...)
	return a
}

// Group returns a group of routes under prefix, with stages of its own.
func (a *App) Group(prefix string, stages ...*actors.Spec) *Group {
	return a.root.Group(prefix, stages...)
}

// Handle adds a route at the top level; see Group.Handle.
func (a *App) Handle(method, pattern string, handler *actors.Spec) *Route {
	return a.root.Handle(method, pattern, handler)
}

// GET adds a top-level GET route; see Group.GET.
func (a *App) GET(pattern string, h HandlerFunc) *Route { return a.root.GET(pattern, h) }

// POST adds a top-level POST route; see Group.GET.
func (a *App) POST(pattern string, h HandlerFunc) *Route { return a.root.POST(pattern, h) }

// PUT adds a top-level PUT route; see Group.GET.
func (a *App) PUT(pattern string, h HandlerFunc) *Route { return a.root.PUT(pattern, h) }

// PATCH adds a top-level PATCH route; see Group.GET.
func (a *App) PATCH(pattern string, h HandlerFunc) *Route { return a.root.PATCH(pattern, h) }

// DELETE adds a top-level DELETE route; see Group.GET.
func (a *App) DELETE(pattern string, h HandlerFunc) *Route { return a.root.DELETE(pattern, h) }

type adminRoute struct {
	pattern string
	handler http.Handler
}

// AdminHandle adds a route to the admin listener, next to /healthz,
// /readyz, /metrics and /debug/pprof: an operator's control such as a
// maintenance switch. pattern is an http.ServeMux pattern, e.g.
// "PUT /maintenance". Call it before Start.
func (a *App) AdminHandle(pattern string, h http.Handler) {
	a.adminRoutes = append(a.adminRoutes, adminRoute{pattern, h})
}
