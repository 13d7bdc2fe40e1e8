package flakyupstream

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/upstream"
)

// Target is the target URL of the demo proxy. The host is only a name:
// the proxy dials the demo server wherever it listens.
const Target = "http://demo-upstream"

// Register adds the demo upstream's kinds to reg:
//
//   - the stage kind demo_upstream: declared once under stages, it runs the
//     demo server (a component of the app, on a loopback port of its own)
//     and mounts "GET/PUT /demo/upstream" on the admin listener. Its
//     options are the yaml keys of Settings. As a stage it does nothing:
//     it need not be on any route.
//   - the handler kind demo_proxy: the proxy handler (package upstream)
//     aimed at that server; its options are the proxy's, but for targets
//     and upstream.
//
// The kinds of one Register call share one server: a registry serves one
// app at a time.
func Register(reg *config.Registry) {
	h, _ := NewHandler(Settings{}) // valid settings
	d := &demo{handler: h}
	reg.Register("demo_upstream", config.Kind{
		Doc: "runs the flaky demo upstream on a loopback port, for demo_proxy; set it on the admin listener with " +
			`PUT /demo/upstream {"error_rate":1.0,"latency":"250ms"}. Options: error_rate (0 to 1), latency, status (default 503).`,
		Priority: actors.Global,
		New:      d.newStage,
	})
	reg.RegisterHandler("demo_proxy", config.Kind{
		Doc: "the proxy handler aimed at the demo upstream (declare a demo_upstream stage). Options: those of proxy but targets and upstream.",
		New: d.newProxy,
	})
}

// demo is what the kinds of one Register call share.
type demo struct {
	handler *Handler
	server  *Server // set by the demo_upstream stage
}

// stage is the demo_upstream stage: it does nothing on a route, but owns the
// admin routes.
type stage struct{ h *Handler }

var _ config.AdminRouter = stage{}

// Process lets the exchange through.
func (stage) Process(*actors.Exchange) error { return nil }

// AdminRoutes returns the handler's admin routes.
func (s stage) AdminRoutes() map[string]http.Handler { return s.h.AdminRoutes() }

func (d *demo) newStage(_ string, opts config.Options) (*actors.Spec, error) {
	var s Settings
	if err := opts.Decode(&s); err != nil {
		return nil, err
	}
	if err := d.handler.Set(s); err != nil {
		return nil, opts.Errorf("demo_upstream: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if d.server == nil {
		d.server = NewServer(d.handler, opts.Logger().Named("demo-upstream"))
	}
	opts.Add(d.server)
	return &actors.Spec{Kind: actors.Stateless, Stage: stage{h: d.handler}}, nil
}

func (d *demo) newProxy(name string, opts config.Options) (*actors.Spec, error) {
	var o upstream.Options
	if err := opts.Decode(&o); err != nil {
		return nil, err
	}
	if len(o.Targets) > 0 {
		return nil, opts.Errorf("demo_proxy: targets are the demo upstream's: leave them out")
	}
	o.Targets = []string{Target}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if d.server == nil {
			return nil, errNoServer
		}
		return d.server.DialContext(ctx, network, addr)
	}
	spec, up, err := upstream.Build(name, o, upstream.WithLogger(opts.Logger()), upstream.WithDialContext(dial))
	if err != nil {
		return nil, opts.Errorf("demo_proxy: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	opts.Add(up)
	return spec, nil
}

// errNoServer is what the demo proxy's dials fail with when no
// demo_upstream stage was declared.
var errNoServer = errors.New("flakyupstream: no demo upstream: declare a demo_upstream stage")
