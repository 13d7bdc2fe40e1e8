package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"go.uber.org/zap"
)

// Troupe is the peer under test: a troupe app whose one route runs stages
// pure stages, each doing one kind of Work, then a pure handler (it only
// computes, so troupe.PureHandler) that answers a small JSON Reply. All of
// it fuses into one hop. Its methods are safe for concurrent use; Start and
// Shutdown are each called once.
type Troupe struct {
	hits atomic.Int64
	app  *troupe.App
}

// NewTroupe returns the peer with the given number of stages, logging to
// log.
func NewTroupe(stages int, log *zap.Logger) *Troupe {
	p := &Troupe{}
	p.app = troupe.New(troupe.Config{
		HTTP:  serverConfig("127.0.0.1:0"),
		Admin: troupe.AdminConfig{Addr: "off"},
	}, troupe.WithLogger(log))
	for i := range stages {
		w := Kinds[i%len(Kinds)]
		p.app.Use(troupe.Stage(fmt.Sprintf("%s-%d", w, i), actors.Global, p.stage(w)))
	}
	p.app.Handle(http.MethodGet, Path, troupe.PureHandler("hello", troupeHandler))
	return p
}

// Hits returns how many times a Count stage has run.
func (p *Troupe) Hits() int64 { return p.hits.Load() }

// Start builds the app and serves on 127.0.0.1, on a free port, until
// Shutdown. addr is ignored: the app is configured when it is made.
func (p *Troupe) Start(string) error { return p.app.Start() }

// Addr returns the address the peer serves on, once started.
func (p *Troupe) Addr() net.Addr { return p.app.Addr() }

// Shutdown stops the app gracefully.
func (p *Troupe) Shutdown(ctx context.Context) error { return p.app.Shutdown(ctx) }

var tenantValue = actors.NewKey[string]("tenant")

func (p *Troupe) stage(w Work) actors.Stage {
	switch w {
	case SetHeader:
		return actors.StageFunc(func(ex *actors.Exchange) error {
			ex.Response.Header().Set("X-Bench", "1")
			return nil
		})
	case ReadHeader:
		return actors.StageFunc(func(ex *actors.Exchange) error {
			if ex.Request.Header.Get("X-Tenant") == "blocked" {
				return actors.NewError(http.StatusForbidden, "tenant blocked")
			}
			return nil
		})
	case Count:
		return actors.StageFunc(func(*actors.Exchange) error {
			p.hits.Add(1)
			return nil
		})
	case CheckMethod:
		return actors.StageFunc(func(ex *actors.Exchange) error {
			if m := ex.Request.Method; m != http.MethodGet && m != http.MethodHead {
				return actors.NewError(http.StatusMethodNotAllowed, "method not allowed")
			}
			return nil
		})
	case ContextValue:
		return actors.StageFunc(func(ex *actors.Exchange) error {
			tenantValue.Set(ex, Tenant)
			return nil
		})
	}
	panic(fmt.Sprintf("bench: unknown work %d", int(w)))
}

// troupeHandler answers the JSON Reply, with the tenant a ContextValue
// stage stored.
func troupeHandler(ex *actors.Exchange) error {
	tenant, _ := tenantValue.Get(ex)
	return ex.JSON(http.StatusOK, Reply{Message: "hello", Tenant: tenant})
}
