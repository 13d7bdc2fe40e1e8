// Command hello is the smallest troupe server: one global stage, a group
// with a stage of its own, two handlers. Run it with `go run ./examples/hello`
// and try `curl localhost:8080/hello` and `curl localhost:8080/api/items/42`.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os/signal"
	"syscall"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
)

func main() {
	var cfg troupe.Config
	flag.StringVar(&cfg.HTTP.Addr, "addr", ":8080", "where the server listens")
	flag.StringVar(&cfg.Admin.Addr, "admin-addr", "127.0.0.1:9090", `where the admin endpoints listen ("off": none)`)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := newApp(cfg).Run(ctx); err != nil {
		log.Fatal(err)
	}
}

func newApp(cfg troupe.Config) *troupe.App {
	app := troupe.New(cfg)
	app.Use(troupe.Stage("server-header", actors.Global, actors.StageFunc(func(ex *actors.Exchange) error {
		ex.Response.Header().Set("Server", "troupe")
		return nil
	})))
	app.GET("/hello", func(ex *actors.Exchange) error {
		return ex.JSON(http.StatusOK, map[string]string{"message": "hello"})
	})
	api := app.Group("/api", troupe.Stage("json-only", actors.Preprocessing, actors.StageFunc(func(ex *actors.Exchange) error {
		if ex.Request.Header.Get("Accept") == "text/html" {
			return actors.NewError(http.StatusNotAcceptable, "this API speaks JSON")
		}
		return nil
	})))
	api.GET("/items/{id}", func(ex *actors.Exchange) error {
		return ex.JSON(http.StatusOK, map[string]string{"id": ex.Params.Get("id")})
	})
	return app
}
