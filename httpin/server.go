package httpin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/pipeline"
	"go.uber.org/zap"
)

// Server is the ingress actor: it owns the listener and the http.Server, and
// on Drain shuts them down gracefully — no new connections, every request
// already accepted answered in full. The serving goroutine belongs to the
// actor, which waits for it.
type Server struct {
	cfg     Config
	srv     *http.Server
	ln      net.Listener
	log     *zap.Logger
	sys     *actors.System
	pid     *actor.PID
	connObs ConnObserver
	initErr error         // from NewServer, returned by Start
	certs   *CertReloader // with Config.TLS; nil without

	given   net.Listener // from WithListener, served instead of listening on Addr
	serving sync.WaitGroup
	once    sync.Once
	err     error         // from Serve, once it has returned; set before failed closes
	failed  chan struct{} // closed if Serve fails

	drainOnce sync.Once
	drainErr  error
	lameDuck  atomic.Bool // set by Drain for DrainDelay: every response closes its connection
}

// ServerOption configures a Server.
type ServerOption func(*Server)

// WithConnObserver makes the Server tell obs about every connection its
// listener closes at once for being past a cap.
func WithConnObserver(obs ConnObserver) ServerOption {
	return func(s *Server) { s.connObs = obs }
}

// WithListener makes the Server serve on ln, which it then owns, instead
// of listening on Config.Addr: a socket handed over by a service manager,
// or one a test controls. The connection caps apply to it all the same.
func WithListener(ln net.Listener) ServerOption {
	return func(s *Server) { s.given = ln }
}

// Failed is closed if serving fails: the listener broke (Accept returned
// an error that is not temporary), and the Server no longer accepts
// connections. Err then says why. It is never closed by Drain.
func (s *Server) Failed() <-chan struct{} { return s.failed }

// Err returns why serving failed, once Failed is closed; nil before.
func (s *Server) Err() error {
	select {
	case <-s.failed:
		return s.err
	default:
		return nil
	}
}

// NewServer returns a server for handler on cfg.Addr. cfg's zero fields
// take their defaults. In front of handler it puts the connection guard:
// request bodies and responses kept to their minimum rates and, unless
// cfg.LenientFraming, the connection closed after a request whose framing
// a front proxy could read differently (see the package documentation).
// With cfg.TLS it reads the certificate and key here (a bad pair fails
// Start) and serves HTTPS with HTTP/2; with cfg.H2C, cleartext HTTP/2 too.
func NewServer(cfg Config, handler http.Handler, sys *actors.System, opts ...ServerOption) *Server {
	cfg = cfg.WithDefaults()
	log := sys.Logger().Named("ingress")
	if !cfg.LenientFraming {
		handler = framingGuard{next: handler}
	}
	s := &Server{}
	handler = lameDuckGuard{next: handler, on: &s.lameDuck}
	errLog, err := NewErrorLog(log)
	*s = Server{
		cfg:     cfg,
		log:     log,
		sys:     sys,
		initErr: err,
		failed:  make(chan struct{}),
		srv: &http.Server{
			Addr:              cfg.Addr,
			Handler:           newConnGuard(cfg, handler),
			ReadHeaderTimeout: cfg.ReadHeaderTimeout,
			ReadTimeout:       cfg.ReadTimeout,
			WriteTimeout:      cfg.WriteTimeout,
			IdleTimeout:       cfg.IdleTimeout,
			MaxHeaderBytes:    cfg.MaxHeaderBytes,
			ErrorLog:          errLog,
		},
	}
	s.initErr = errors.Join(s.initErr, s.setProtocols())
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start binds the listener and spawns the ingress actor, which serves on it.
// The address is in use when Start returns. The listener keeps to
// Config.MaxConnections and Config.MaxConnectionsPerIP (see LimitListener).
func (s *Server) Start() error {
	if s.initErr != nil {
		return fmt.Errorf("ingress: %w", s.initErr)
	}
	ln := s.given
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.cfg.Addr); err != nil {
			return fmt.Errorf("ingress: %w", err)
		}
	}
	s.ln = LimitListener(ln, ConnLimits{Max: s.cfg.MaxConnections, PerIP: s.cfg.MaxConnectionsPerIP}, s.log, s.connObs)
	props := actor.PropsFromProducer(func() actor.Actor { return (*serverActor)(s) },
		actor.WithGuardian(actor.NewOneForOneStrategy(0, time.Second, func(any) actor.Directive { return actor.ResumeDirective })))
	s.pid = pipeline.Root(s.sys).SpawnPrefix(props, "ingress")
	s.log.Info("listening", zap.String("addr", ln.Addr().String()))
	return nil
}

// Addr returns the address the server listens on, once started.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Drain shuts the server down gracefully, waiting until ctx ends at most:
// the listener closes at once (new connections are refused), and Drain
// returns once every accepted request has been answered. The ingress actor
// then stops. Safe to call twice.
func (s *Server) Drain(ctx context.Context) error {
	if s.pid == nil {
		return nil
	}
	s.drainOnce.Do(func() {
		s.lameDuck.Store(true)
		if d := s.cfg.DrainDelay; d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
		done := make(chan error, 1) // the actor answers once and must never block on it
		pipeline.Root(s.sys).Send(s.pid, drain{ctx: ctx, done: done})
		var err error
		select {
		case err = <-done:
		case <-ctx.Done():
			_ = s.srv.Close() // cut off what is still running; the actor finishes its drain
			<-done            // the same deadline, seen by http.Server.Shutdown
			err = ctx.Err()
		}
		if err != nil {
			s.drainErr = fmt.Errorf("ingress: draining requests: %w", err)
		}
		if err := pipeline.Root(s.sys).StopFuture(s.pid).Wait(); err != nil {
			s.log.Warn("ingress actor did not stop", zap.Error(err))
		}
	})
	return s.drainErr
}

type drain struct {
	ctx  context.Context
	done chan<- error
}

// serverActor is Server seen as an actor.
type serverActor Server

// Receive implements actor.Actor.
func (a *serverActor) Receive(c actor.Context) {
	s := (*Server)(a)
	switch m := c.Message().(type) {
	case *actor.Started:
		s.serving.Go(func() {
			serve := s.srv.Serve
			if s.certs != nil {
				serve = func(ln net.Listener) error { return s.srv.ServeTLS(ln, "", "") }
			}
			if err := serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
				s.err = fmt.Errorf("ingress: serving: %w", err)
				close(s.failed)
			}
		})
	case drain:
		m.done <- s.shutdown(m.ctx)
	case *actor.Stopping:
		_ = s.shutdown(context.Background())
	}
}

// shutdown stops the http.Server gracefully and waits for the serving
// goroutine.
func (s *Server) shutdown(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		err = s.srv.Shutdown(ctx)
		if err != nil {
			s.log.Warn("graceful shutdown cut short", zap.Error(err))
			_ = s.srv.Close()
		}
		s.serving.Wait()
		if err == nil {
			err = s.err
		}
	})
	return err
}
