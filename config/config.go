// Package config reads a troupe server from a YAML file: its listeners,
// logging, supervision, named stages and routes. Stages and handlers are
// built by kinds registered by name in a Registry, so the file says
// `kind: header` and the program decides what "header" means.
//
// Every problem is reported as "FILE:LINE: reason", at the line of the
// offending YAML node, and Load reports all of them at once.
//
// # Schema
//
// Keys are snake_case; every key is optional unless marked required, and a
// key that is left out (or null) takes its default. Unknown keys are
// errors, everywhere. Durations are Go duration strings ("500ms", "5s",
// "1m30s") and must not be negative; sizes and counts are non-negative
// integers. Zero means "the default" for every duration, size and count.
// YAML anchors, aliases and merge keys (<<) may be used, within bounds
// that keep reading a file linear in its size. A file of N nodes (scalars,
// mappings and lists as written, an alias counting as one) holding S bytes
// of scalars may expand, every alias replaced by what it names, to
// max(100000, 10×N) nodes holding max(1 MiB, 10×S) bytes of scalars, and
// no deeper than 10000 levels; an alias may not name a node that contains
// it. The stage references a file resolves through stacks count against
// the same max(100000, 10×N); and the full prefixes of groups and patterns
// of routes (nested groups repeat the prefixes around them), joined, may
// take max(1 MiB, 10×B) bytes for a file of B bytes. Past these, the file
// is refused at the line of the alias, stack, group or route where it
// crosses them.
//
//	server:                     # the HTTP listener (httpin.Config)
//	  addr: ":8080"             # host:port
//	  read_header_timeout: 5s
//	  read_timeout: 30s
//	  write_timeout: 60s        # keep it above request_timeout
//	  idle_timeout: 120s
//	  max_header_bytes: 65536
//	  max_body_bytes: 1048576   # default body limit of a route; larger → 413
//	  stream_idle_timeout: 60s  # a streamed response that gives nothing this long is cut off
//	  drain_delay: 0s           # lame duck at shutdown: /readyz false, still serving, connections closing
//	  min_body_rate: 1024       # bytes/s a request body must keep up after the grace; slower → 408
//	  body_rate_grace: 5s
//	  min_write_rate: 1024      # bytes/s a client must read the response at, after the grace
//	  write_rate_grace: 5s
//	  lenient_framing: false    # true: keep connections after Transfer-Encoding and HTTP/1.0
//	  max_connections: 0        # 0: from the open-file limit, with a reserve
//	  max_connections_per_ip: 0 # 0: no cap
//	  max_concurrent_streams: 100 # requests open at once on one HTTP/2 connection
//	  h2c: false                # true: cleartext HTTP/2 too, by prior knowledge (not with tls)
//	  tls:                      # HTTPS, HTTP/2 through ALPN; left out: plain HTTP
//	    cert_file: server.crt   # required: PEM chain, read at start and on App.ReloadTLS
//	    key_file: server.key    # required: PEM private key
//	    min_version: "1.2"      # "1.2" | "1.3"
//	    client_auth: none       # none | verify_if_given | require
//	    client_ca_file: ""      # PEM CAs for client certificates (verify_if_given, require)
//	  max_in_flight: 1024       # hard admission limit; beyond it → 503
//	  overload:                 # the adaptive concurrency limit in front of every route (package overload)
//	    adaptive: true          # false: max_in_flight alone bounds admission
//	    min_limit: 4            # the limit moves between these…
//	    max_limit: 1024         # …(capped by max_in_flight)
//	    initial_limit: 0        # 0: 128 (capped by max_limit), doubling per window while the service time holds
//	    smoothing: 0.5          # weight of each new measurement, (0, 1]
//	    tolerance: 0.25         # how much slower than unloaded the service may run before the limit falls
//	    queue_target: 5ms       # under sustained overload, the longest a request waits for a slot
//	    queue_interval: 100ms   # the longest it waits otherwise; a queue standing this long is overload
//	    max_queue: 1024
//	    max_retry_after: 30s    # cap of the Retry-After computed from the load
//	    probe_interval: 10s     # how often the unloaded service time is re-measured
//	    criticality_header: ""  # e.g. X-Criticality: a request's class, in place of its route's…
//	    criticality_trusted: [] # …from peers in these networks (10.0.0.0/8); anyone may ask for sheddable
//	  request_timeout: 10s      # default request deadline; past it → 504
//	  shutdown_timeout: 30s     # bound on a graceful shutdown
//	admin:
//	  addr: "127.0.0.1:9090"    # /healthz /readyz /metrics /debug/pprof; "off" disables
//	log:
//	  format: json              # json | console
//	  level: info               # debug | info | warn | error
//	tracing:                    # OpenTelemetry traces over OTLP (package tracing); the OTEL_* variables fill in
//	  enabled: false
//	  exporter: otlp-http       # otlp-http | otlp-grpc
//	  endpoint: ""              # a URL (http://collector:4318) or host:port; "": OTEL_EXPORTER_OTLP_ENDPOINT
//	  insecure: false           # with host:port: no TLS
//	  headers: {}               # sent with every export
//	  sample_ratio: 1           # ParentBased(TraceIDRatioBased); unset: OTEL_TRACES_SAMPLER, else every trace
//	  service_name: ""          # "": OTEL_SERVICE_NAME, else troupe
//	  trace_response: false     # true: answers carry traceresponse (W3C Level 2 draft)
//	supervision:                # default restart policy (supervisor.Policy)
//	  max_restarts: 100         # more failures than this within window → stage down
//	  window: 1s
//	  backoff: 1s               # how long a stage stays down, doubling…
//	  max_backoff: 30s          # …up to this
//	BLOCK: {…}                  # a registered block, such as cluster: one thing's options (see Block)
//	SECTION:                    # a registered section of shared resources, such as upstreams:
//	  NAME: {…}                 # name → the resource's options (see Section)
//	stages:                     # named stages: name → definition
//	  NAME:                     # letters, digits, '-', '_', '.'
//	    kind: KIND              # required: a registered stage kind
//	    priority: global        # global | routing | auth | preprocessing | business | terminating;
//	                            # defaults to the kind's priority
//	    options: {…}            # the kind's options
//	    supervision: {…}        # overrides keys of the default policy for this stage
//	global: [NAME, …]           # stages every route runs
//	groups:                     # route groups; they nest
//	  - prefix: /PATH           # required; starts with "/"
//	    name: NAME              # optional, unique: a queue's group: NAME takes its stages (see Jobs)
//	    stages: [NAME, …]       # stages of every route in the group
//	    groups: [ … ]           # nested groups, same shape
//	    routes: [ … ]           # routes, same shape as below, paths relative to prefix
//	routes:
//	  - method: GET             # required: GET, POST, …, any upper-case token, or "*"
//	    path: /items/{id}       # required; starts with "/"; {name} and {name...} parameters
//	    handler: KIND           # required: a registered handler kind
//	    options: {…}            # the handler's options
//	    stages: [NAME, …]       # stages of this route only
//	    timeout: 2s             # overrides server.request_timeout
//	    max_body_bytes: 1024    # overrides server.max_body_bytes
//	    stream_body: true       # the handler reads the body as it arrives (a proxy); default false
//	    criticality: default    # critical | default | sheddable: who is refused first under overload
//	                            # (groups take it too; a route's own wins)
//	    supervision: {…}        # overrides keys of the default policy for the handler
//
// A route's stages are the global ones, then its groups' from the
// outermost, then its own, each name once, stably sorted by priority; its
// handler comes last. A route's handler is a stage named "METHOD PATTERN"
// (e.g. "GET /demo/flaky"), the name its metrics and readiness use.
//
// A stage's or route's supervision starts from the top-level supervision
// and replaces the keys it gives.
//
// # Shared resources
//
// Programs add top-level sections with Registry.RegisterSection: each maps
// names to resources that several stages and routes share, and kinds refer
// to them by name from an option (Options.Shared). Package upstream's
// Register adds upstreams, so that several routes go through one upstream,
// and so one circuit breaker, retry budget, bulkhead and connection pool:
//
//	upstreams:
//	  scoring:                  # the upstream's name, in its metrics too
//	    targets: ["http://10.0.0.9:9000"]
//	    breaker: {consecutive_failures: 5, open_timeout: 10s}
//	routes:
//	  - {method: GET, path: "/a/{rest...}", handler: proxy, options: {upstream: scoring, strip_prefix: /a}}
//	  - {method: GET, path: "/b/{rest...}", handler: proxy, options: {upstream: scoring, strip_prefix: /b}}
//	  - method: POST
//	    path: /score
//	    handler: batch_proxy
//	    options: {upstream: scoring, path: /batch, batch: {max_batch_size: 32}}
//
// A name nothing declares is an error at the line that names it. Every
// resource declared is built and checked, and one that is a component (an
// upstream is) runs with the app exactly once, whether one route, several
// or none refer to it.
//
// # Reload
//
// A running app takes a new version of its file without a restart:
// ParseNext parses and checks it in full, taking from the running
// configuration every stage, handler and shared resource whose
// configuration is the same (and so its actors, components and state), and
// Apply swaps it in with troupe.App.Update, without dropping a request.
// NeedsRestart lists the settings that changed and that only a restart
// applies: those under server, admin, log and supervision.
package config

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/overload"
	"github.com/troupe-go/troupe/tracing"
	"go.uber.org/zap/zapcore"
)

// Config is a parsed, validated configuration: ready to Build an app from.
type Config struct {
	// File is the file name given to Load or Parse.
	File string
	// App holds the settings of the app: listeners, default supervision,
	// and the policies of the stages and handlers that override it.
	App troupe.Config
	// Log configures the logger.
	Log Log
	// Stages holds the declared stages by name.
	Stages map[string]*actors.Spec
	// Global lists the stages every route runs, in file order.
	Global []*actors.Spec
	// Groups lists the top-level groups, in file order.
	Groups []*Group
	// Routes lists the top-level routes, in file order.
	Routes []*Route
	// Tracing says whether and where the app exports traces (package
	// tracing); Build gives the app its provider.
	Tracing tracing.Config
	// Jobs is the jobs section, or nil (see Jobs).
	Jobs *Jobs

	logs       *logSink           // behind Options.Logger; Build points it at the app's logger
	components []troupe.Component // from sections and Options.Add; Build adds them to the app
	shared     map[string]*shared // the sections' resources, by section key

	prints       map[string]carried // what it built, by fingerprint, for ParseNext (carry.go)
	sharedPrints map[string]string  // "SECTION\x00NAME" → the resource's fingerprint
	replaces     *Config            // the configuration ParseNext was given
	blocks       map[string]any     // what the blocks built, by block key
}

// Log configures the logger.
type Log struct {
	// Format is "json" or "console". Defaults to "json".
	Format string
	// Level is the minimum level logged. Defaults to info.
	Level zapcore.Level
}

// Group is a group of routes under a path prefix, with stages of its own.
type Group struct {
	// Name, if not empty, names the group for the queues that take its
	// stages (see Jobs); unique in the file.
	Name string
	// Prefix is the group's prefix, relative to its parent group's.
	Prefix string
	// Stages are the stages of every route in the group.
	Stages []*actors.Spec
	// Groups are the nested groups.
	Groups []*Group
	// Routes are the group's own routes.
	Routes []*Route
	// Criticality is the class of the group's routes under overload (see
	// troupe.Group.Criticality); nil: the parent's.
	Criticality *overload.Class
	// Line is the group's line in the file.
	Line int
}

// Route is one route: a method and path with a handler, stages and limits.
type Route struct {
	// Method is the route's method, or "*" for every method.
	Method string
	// Path is the route's path, relative to its group's prefix.
	Path string
	// Pattern is the route's full pattern, group prefixes included.
	Pattern string
	// Handler answers the route's requests; it is named "METHOD PATTERN".
	Handler *actors.Spec
	// Stages are the stages of this route only.
	Stages []*actors.Spec
	// Timeout is the route's request deadline; 0 means the server's.
	Timeout time.Duration
	// MaxBodyBytes is the route's body limit; 0 means the server's.
	MaxBodyBytes int64
	// StreamBody hands the request body to the handler unread (see
	// troupe.Route.StreamBody): for a proxy, or large uploads.
	StreamBody bool
	// Criticality is the route's class under overload (see
	// troupe.Route.Criticality); nil: its group's.
	Criticality *overload.Class
	// Enqueue, if set, names the queue the route enqueues its body into,
	// in place of a handler (see Jobs).
	Enqueue string
	// Line is the route's line in the file.
	Line int
}

// Load reads and parses the configuration file at path; see Parse.
func Load(path string, reg *Registry) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, reg)
}

// Parse parses and validates a configuration, building every stage and
// handler with the kinds in reg (nil means none). filename is used in
// errors only. On failure it returns every problem found, each an *Error,
// joined with errors.Join and sorted by line.
//
// Parse checks everything an app build would: kinds and their options,
// stage references, priorities, policies, methods, and route patterns
// (syntax, and conflicts between routes).
func Parse(filename string, data []byte, reg *Registry) (*Config, error) {
	if reg == nil {
		reg = &Registry{}
	}
	return newParser(filename, reg).parse(data)
}

// declarer is what routes and groups are declared on: a troupe.App or a
// troupe.Group.
type declarer interface {
	Group(prefix string, stages ...*actors.Spec) *troupe.Group
	Handle(method, pattern string, handler *actors.Spec) *troupe.Route
	EnqueueRoute(pattern, queue string) *troupe.Route
}

var (
	_ declarer = (*troupe.App)(nil)
	_ declarer = (*troupe.Group)(nil)
)

// Build returns a new app declared from the configuration: its settings,
// global stages, groups and routes. The app is not started.
//
// Call it once per Parse. The configuration's components — batchers,
// upstreams with their breakers — are built by Parse (so that -check sees
// their errors) and belong to the first app that starts them: a second app
// built from the same Config fails to start. Parse again for another app.
func (c *Config) Build(opts ...troupe.Option) *troupe.App {
	traceOpts, provider := c.tracingOptions()
	app := troupe.New(c.App, append(append(traceOpts, c.jobOptions()...), opts...)...)
	if c.logs != nil {
		c.logs.set(app.Logger().Core())
	}
	app.Use(c.Global...)
	if provider != nil { // first: started before the components whose spans it exports, stopped after them
		app.Add(provider)
	}
	app.Add(c.components...)
	c.declareJobs(app) // jobs.go
	declare(app, c.Groups, c.Routes)
	names := make([]string, 0, len(c.Stages))
	for name := range c.Stages {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if ar, ok := c.Stages[name].Stage.(AdminRouter); ok {
			for pattern, h := range ar.AdminRoutes() {
				app.AdminHandle(pattern, h)
			}
		}
	}
	return app
}

// AdminRouter is implemented by stages that offer controls on the admin
// listener, such as maintenance mode's switch. Build mounts each route; the
// pattern is an http.ServeMux pattern such as "PUT /maintenance/{name}".
type AdminRouter interface {
	AdminRoutes() map[string]http.Handler
}

func declare(d declarer, groups []*Group, routes []*Route) {
	for _, r := range routes {
		var rt *troupe.Route
		if r.Enqueue != "" {
			rt = d.EnqueueRoute(r.Path, r.Enqueue)
		} else {
			rt = d.Handle(r.Method, r.Path, r.Handler)
		}
		rt.With(r.Stages...).Timeout(r.Timeout).MaxBodyBytes(r.MaxBodyBytes)
		if r.StreamBody {
			rt.StreamBody()
		}
		if r.Criticality != nil {
			rt.Criticality(*r.Criticality)
		}
	}
	for _, g := range groups {
		sub := d.Group(g.Prefix, g.Stages...)
		if g.Criticality != nil {
			sub.Criticality(*g.Criticality)
		}
		declare(sub, g.Groups, g.Routes)
	}
}
