// Command mounted mounts a troupe app in a net/http server of its own: the
// outer server answers / itself and hands /api/ to troupe, and the app's
// admin endpoints (/healthz, /readyz, /metrics, /debug/pprof/) are served on
// a second listener, on loopback. On SIGINT or SIGTERM the outer server
// drains first, then the app closes, then the admin listener. Run it with
// `go run ./examples/mounted` and try
//
//	curl -i localhost:8080/                # the outer server's own page
//	curl -i localhost:8080/api/items/42    # troupe
//	curl -s localhost:9090/readyz
//	curl -s localhost:9090/metrics | grep troupe_requests_total
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
	"syscall"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
)

func main() {
	addr := flag.String("addr", ":8080", "where the server listens")
	adminAddr := flag.String("admin-addr", "127.0.0.1:9090", "where the admin endpoints listen")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	adminLn, err := net.Listen("tcp", *adminAddr)
	if err != nil {
		log.Fatal(err)
	}
	if err := serve(ctx, ln, adminLn); err != nil {
		log.Fatal(err)
	}
}

// serve serves the outer server on ln and the app's admin endpoints on
// adminLn until ctx ends or a listener fails, then shuts everything down.
func serve(ctx context.Context, ln, adminLn net.Listener) error {
	app := troupe.New(troupe.Config{})
	app.Group("/api").GET("/items/{id}", func(ex *actors.Exchange) error {
		return ex.JSON(http.StatusOK, map[string]string{"id": ex.Params.Get("id")})
	})
	h, err := app.Handler() // builds the app: from here on it needs a Close
	if err != nil {
		return err
	}
	adm, _ := app.AdminHandler() // fails only before Handler

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "the outer server's own page; the API is under /api/")
	})
	mux.Handle("/api/", h) // the app's routes carry the /api prefix themselves: no StripPrefix
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	admin := &http.Server{Handler: adm, ReadHeaderTimeout: 5 * time.Second}

	var wg sync.WaitGroup
	failed := make(chan error, 2)
	for s, l := range map[*http.Server]net.Listener{srv: ln, admin: adminLn} {
		wg.Go(func() {
			if err := s.Serve(l); !errors.Is(err, http.ErrServerClosed) {
				failed <- err
			}
		})
	}
	select {
	case <-ctx.Done():
	case err = <-failed:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	app.Drain()                                // /readyz: not ready; batchers stop holding work back…
	err = errors.Join(err, srv.Shutdown(sctx)) // …every request accepted is answered…
	err = errors.Join(err, app.Close(sctx))    // …then the app's actors stop
	err = errors.Join(err, admin.Shutdown(sctx))
	wg.Wait()
	return err
}
