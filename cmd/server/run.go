package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/batching/batchproxy"
	"github.com/troupe-go/troupe/cluster"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/internal/admin"
	"github.com/troupe-go/troupe/internal/demo"
	"github.com/troupe-go/troupe/internal/demobackend"
	"github.com/troupe-go/troupe/internal/flakyupstream"
	"github.com/troupe-go/troupe/stages"
	"github.com/troupe-go/troupe/upstream"
	"go.uber.org/zap"
)

// defaultConfig is the configuration used without -config.
//
//go:embed default.yaml
var defaultConfig []byte

// defaultConfigName is the file name errors in defaultConfig are reported
// under.
const defaultConfigName = "default.yaml"

// usageError is a bad command line or configuration: exit status 2.
// printed says that it has been reported already (by the flag package).
type usageError struct {
	err     error
	printed bool
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// exitCode reports err on stderr, unless it has been already, and returns
// the exit status for it: 0 for nil, 2 for a usage error, else 1.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	ue, usage := errors.AsType[*usageError](err)
	if !usage || !ue.printed {
		fmt.Fprintln(stderr, err)
	}
	if usage {
		return 2
	}
	return 1
}

// runConfig holds what tests hook into run.
type runConfig struct {
	// ready, if set, is called once the server accepts connections, with
	// its address and the admin listener's (nil when off).
	ready func(addr, admin net.Addr)
	// reloaded, if set, is called after each reload attempt.
	reloaded func(*reloadReport, error)
}

// run runs the server with command-line args until ctx ends or a signal
// arrives.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runConfig{}.run(ctx, args, stdout, stderr)
}

func (rc runConfig) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "the configuration `file`; defaults to the built-in one (see -print-default)")
	check := fs.Bool("check", false, "validate the configuration, print \"config OK: N routes\" or its errors, and exit")
	printDefault := fs.Bool("print-default", false, "print the built-in configuration and exit")
	kinds := fs.Bool("kinds", false, "list the stage and handler kinds and the sections (upstreams) a configuration may name, and exit")
	logFormat := fs.String("log-format", "", "log `format`, json or console; overrides log.format")
	addr := fs.String("addr", "", "listen on `host:port`; overrides server.addr")
	adminAddr := fs.String("admin-addr", "", "admin listener `host:port`, or off; overrides admin.addr")
	clusterPort := fs.Int("cluster-port", 0, "this member's cluster `port`; overrides cluster.port")
	clusterHealthPort := fs.Int("cluster-health-port", 0, "this member's automanaged health `port`; overrides cluster.health_port")
	version := fs.Bool("version", false, "print the version (from the build's module information) and exit")
	watch := fs.Bool("watch", false, "reload the configuration when its file changes (SIGHUP and POST /reload on the admin listener always do)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: server [flags]\n\nRuns a troupe server from a YAML configuration.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &usageError{err: err, printed: true}
	}
	if *version {
		_, err := fmt.Fprintln(stdout, versionLine())
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{err: fmt.Errorf("unexpected arguments: %s (flags go before them? see -h)", strings.Join(fs.Args(), " "))}
	}
	if *logFormat != "" && *logFormat != "json" && *logFormat != "console" {
		return &usageError{err: fmt.Errorf("-log-format: unknown format %q (want json or console)", *logFormat)}
	}
	if err := checkAddr("-addr", *addr, false); err != nil {
		return err
	}
	if err := checkAddr("-admin-addr", *adminAddr, true); err != nil {
		return err
	}
	if *watch && *configPath == "" {
		return &usageError{err: errors.New("-watch needs -config: the built-in configuration does not change")}
	}

	reg := &config.Registry{}
	cluster.Register(reg)
	stages.Register(reg)
	upstream.Register(reg)
	batchproxy.Register(reg)
	demo.Register(reg)
	demobackend.Register(reg)
	flakyupstream.Register(reg)
	reg.RegisterHandler("job_log", jobLogKind())
	switch {
	case *printDefault:
		_, err := stdout.Write(defaultConfig)
		return err
	case *kinds:
		return printKinds(stdout, reg)
	}

	cfg, err := loadConfig(*configPath, reg)
	if err != nil {
		return &usageError{err: err}
	}
	over := overrides{addr: *addr, adminAddr: *adminAddr, logFormat: *logFormat}
	over.apply(cfg)
	if err := setClusterPorts(cfg, *clusterPort, *clusterHealthPort); err != nil {
		return &usageError{err: err}
	}
	if *check {
		if v, ok := cfg.Block(cluster.BlockKey); ok {
			v.(*cluster.Node).Offline() // check, without joining
		}
		return checkConfig(cfg, stdout)
	}

	log := newLogger(cfg.Log, stderr)
	setUpTracing(cfg, log)
	jobOpts, closeJobs, err := jobStore(ctx, cfg, "")
	if err != nil {
		return err
	}
	defer closeJobs()
	app := cfg.Build(append(jobOpts, troupe.WithLogger(log))...)
	rl := &reloader{path: *configPath, reg: reg, over: over, cur: cfg, boot: cfg, app: app, log: log.Named("reload"), reloaded: rc.reloaded}
	rl.also = append(rl.also, func() error { return reloadTLS(app, log) })
	app.AdminHandle("POST /reload", admin.ReloadHandler(func(ctx context.Context) (any, error) { return rl.reload(ctx) }))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// app.Run would do, but the bound addresses are needed in between.
	if err := app.Start(); err != nil {
		return err
	}
	log.Info("serving", zap.String("config", cfg.File), zap.Int("routes", len(app.Routes())))
	var triggers sync.WaitGroup // the reload triggers' goroutines, done once ctx ends
	rl.onSIGHUP(ctx, &triggers)
	if *watch {
		if err := rl.watch(ctx, &triggers, watchDebounce); err != nil {
			log.Error("cannot watch the configuration file; reload it with SIGHUP or POST /reload", zap.Error(err))
		}
	}
	if rc.ready != nil {
		rc.ready(app.Addr(), app.AdminAddr())
	}
	<-ctx.Done()
	triggers.Wait()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.App.HTTP.WithDefaults().ShutdownTimeout)
	defer cancel()
	return app.Shutdown(sctx)
}

// checkAddr reports an address flag that is set but not host:port (or
// "off", where allowed).
func checkAddr(flagName, addr string, allowOff bool) error {
	if addr == "" || allowOff && addr == "off" {
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return &usageError{err: fmt.Errorf("%s: bad address %q: want host:port, such as \"127.0.0.1:8080\"", flagName, addr)}
	}
	return nil
}

// loadConfig loads the file at path, or the built-in configuration.
func loadConfig(path string, reg *config.Registry) (*config.Config, error) {
	if path == "" {
		return config.Parse(defaultConfigName, defaultConfig, reg)
	}
	return config.Load(path, reg)
}

// checkConfig builds cfg's app, stage actors included, without listening,
// and reports the number of routes.
func checkConfig(cfg *config.Config, stdout io.Writer) error {
	dir, err := os.MkdirTemp("", "troupe-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	jobOpts, closeJobs, err := jobStore(context.Background(), cfg, filepath.Join(dir, "jobs.db"))
	if err != nil {
		return err
	}
	defer closeJobs()
	app := cfg.Build(append(jobOpts, troupe.WithLogger(zap.NewNop()))...)
	if _, err := app.Handler(); err != nil {
		return &usageError{err: fmt.Errorf("%s: %w", cfg.File, err)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Close(ctx); err != nil {
		return fmt.Errorf("%s: stopping the checked app: %w", cfg.File, err)
	}
	_, err = fmt.Fprintf(stdout, "config OK: %d routes\n", len(app.Routes()))
	return err
}

// printKinds lists the registered kinds and sections with their docs.
func printKinds(w io.Writer, reg *config.Registry) error {
	width := 0
	for _, names := range [][]string{reg.StageKinds(), reg.HandlerKinds(), reg.Sections()} {
		for _, n := range names {
			width = max(width, len(n))
		}
	}
	var b strings.Builder
	b.WriteString("Stage kinds (stages: NAME: {kind: KIND, options: {…}}):\n")
	for _, name := range reg.StageKinds() {
		k, _ := reg.Stage(name)
		fmt.Fprintf(&b, "  %-*s %s (priority %s)\n", width, name, k.Doc, k.Priority)
	}
	b.WriteString("\nHandler kinds (routes: - {handler: KIND}):\n")
	for _, name := range reg.HandlerKinds() {
		k, _ := reg.Handler(name)
		fmt.Fprintf(&b, "  %-*s %s\n", width, name, k.Doc)
	}
	b.WriteString("\nSections of shared resources (SECTION: {NAME: {…}}, named from a kind's options):\n")
	for _, key := range reg.Sections() {
		s, _ := reg.Section(key)
		fmt.Fprintf(&b, "  %-*s %s\n", width, key, s.Doc)
	}
	b.WriteString("\nBlocks (BLOCK: {…}, one each; left out, nothing of it runs):\n")
	for _, key := range reg.Blocks() {
		bl, _ := reg.Block(key)
		fmt.Fprintf(&b, "  %-*s %s\n", width, key, bl.Doc)
	}
	b.WriteString("\nEvery stage also takes priority, supervision, when and concurrency; every route timeout,\n" +
		"max_body_bytes, stream_body, supervision, concurrency and criticality (groups take criticality\n" +
		"too). Stages and handlers run on the request's own goroutine and may block, with no cap on how\n" +
		"many run at once unless concurrency: N sets one (the others wait briefly, critical first, then\n" +
		"get 503); rate_limit and cache are stateful: their state lives in actors.\n")
	_, err := io.WriteString(w, b.String())
	return err
}
