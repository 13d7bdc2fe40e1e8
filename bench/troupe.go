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
// stages, each doing one kind of Work, then a handler that answers a small
// JSON Reply. NewTroupe declares every stage stateless, the best case:
// everything runs on the request's goroutine. NewTroupeAsTaught declares
// them the way the README teaches, with the Count stage Stateful. Its
// methods are safe for concurrent use; Start and Shutdown are each called
// once.
type Troupe struct {
	hits atomic.Int64
	app  *troupe.App
}

// NewTroupe returns the peer with the given number of stages, logging to
// log.
func NewTroupe(stages int, log *zap.Logger) *Troupe {
	p := newTroupePeer(log)
	for i := range stages {
		w := Kinds[i%len(Kinds)]
		p.app.Use(troupe.Stage(fmt.Sprintf("%s-%d", w, i), actors.Global, p.stage(w)))
	}
	p.app.Handle(http.MethodGet, Path, troupe.Handler("hello", troupeHandler))
	return p
}

// NewTroupeAsTaught returns the peer built as the README teaches a new
// user to: stages declared with troupe.Stage, except the Count stage,
// which keeps its count in a Stateful stage's actor (one partition, so
// every request visits the same actor), and the handler from app.GET.
func NewTroupeAsTaught(stages int, log *zap.Logger) *Troupe {
	return newTroupeAsTaught(stages, log)
}

// newTroupeAsTaught is NewTroupeAsTaught with the app's further options.
func newTroupeAsTaught(stages int, log *zap.Logger, opts ...troupe.Option) *Troupe {
	p := newTroupePeer(log, opts...)
	for i := range stages {
		w := Kinds[i%len(Kinds)]
		name := fmt.Sprintf("%s-%d", w, i)
		if w == Count {
			p.app.Use(&actors.Spec{Name: name, Kind: actors.Stateful, Priority: actors.Global, New: p.countingStage})
			continue
		}
		p.app.Use(troupe.Stage(name, actors.Global, p.stage(w)))
	}
	p.app.GET(Path, troupeHandler)
	return p
}

// newTroupePeer returns a peer with an app and no routes: serving on a
// free loopback port, the admin listener off.
func newTroupePeer(log *zap.Logger, opts ...troupe.Option) *Troupe {
	p := &Troupe{}
	p.app = troupe.New(troupe.Config{
		HTTP:  serverConfig("127.0.0.1:0"),
		Admin: troupe.AdminConfig{Addr: "off"},
	}, append([]troupe.Option{troupe.WithLogger(log)}, opts...)...)
	return p
}

// countingStage returns a Count stage that keeps its own count, as a
// Stateful stage's instance does, and adds to the peer's hits.
func (p *Troupe) countingStage() actors.Stage {
	var own int64
	return actors.StageFunc(func(*actors.Exchange) error {
		own++
		p.hits.Add(1)
		return nil
	})
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
