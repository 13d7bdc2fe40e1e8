// Command proxy is a reverse proxy with a circuit breaker: GET /api/... is
// forwarded to an upstream, and once the upstream has failed 3 times in a
// row the breaker opens: for the next 10s the proxy answers 503 with
// Retry-After at once, without calling it, then lets one probe through.
// So that it runs alone, it starts its own upstream on -upstream
// (127.0.0.1:8081): POST /break there makes it fail, POST /mend mends it.
// Run it with `go run ./examples/proxy` and try
//
//	curl -i localhost:8080/api/hello           # 200, from the upstream
//	curl -X POST localhost:8081/break          # the upstream fails from now on
//	for i in 1 2 3 4; do curl -s -o /dev/null -w '%{http_code}\n' localhost:8080/api/hello; done   # 500 500 500 503
//	curl -i localhost:8080/api/hello           # 503 with Retry-After: the breaker is open
//	curl -X POST localhost:8081/mend           # 10s later, one probe closes the breaker again
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/upstream"
)

func main() {
	upAddr := flag.String("upstream", "127.0.0.1:8081", "where the demo upstream listens")
	var cfg troupe.Config
	flag.StringVar(&cfg.HTTP.Addr, "addr", ":8080", "where the proxy listens")
	flag.StringVar(&cfg.Admin.Addr, "admin-addr", "127.0.0.1:9090", `where the admin endpoints listen ("off": none)`)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, *upAddr); err != nil {
		log.Fatal(err)
	}
}

// run serves the demo upstream on upAddr and the proxy in front of it, as
// cfg says, until ctx ends.
func run(ctx context.Context, cfg troupe.Config, upAddr string) error {
	ln, err := net.Listen("tcp", upAddr)
	if err != nil {
		return err
	}
	defer serveBackend(ln, &backend{})() // stopped once the app has shut down
	app, err := newApp(cfg, "http://"+ln.Addr().String())
	if err != nil {
		return err
	}
	return app.Run(ctx)
}

func newApp(cfg troupe.Config, target string) (*troupe.App, error) {
	app := troupe.New(cfg)
	up, err := upstream.New(upstream.Config{
		Name:    "backend",
		Targets: []string{target},
		Breaker: upstream.BreakerConfig{ConsecutiveFailures: 3, OpenTimeout: 10 * time.Second},
	}, upstream.WithLogger(app.Logger()))
	if err != nil {
		return nil, err
	}
	app.Add(up) // the breaker's actor starts with the app; its metrics join /metrics
	p, err := upstream.NewProxy(up, upstream.ProxyConfig{StripPrefix: "/api"})
	if err != nil {
		return nil, err
	}
	app.Handle("GET", "/api/{rest...}", p.Spec("backend")).Timeout(2 * time.Second)
	return app, nil
}

// backend is the demo upstream: it greets, or fails while broken.
type backend struct {
	broken atomic.Bool
	served atomic.Int64 // requests answered, greetings or failures
}

func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && (r.URL.Path == "/break" || r.URL.Path == "/mend"):
		b.broken.Store(r.URL.Path == "/break")
	case b.broken.Load():
		b.served.Add(1)
		http.Error(w, "the upstream is broken", http.StatusInternalServerError)
	default:
		b.served.Add(1)
		fmt.Fprintf(w, "hello from the upstream: %s %s\n", r.Method, r.URL.Path)
	}
}

// serveBackend serves b on ln until the returned function is called; that
// function shuts the server down and waits for it.
func serveBackend(ln net.Listener, b *backend) (stop func()) {
	srv := &http.Server{Handler: b, ReadHeaderTimeout: 5 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Print(err)
		}
	})
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		wg.Wait()
	}
}
