package flakyupstream

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"go.uber.org/zap"
)

// Server serves a Handler on a loopback port of its own, chosen when it
// starts. It is a troupe.Component: the app starts it before it serves and
// stops it after it has drained. Safe for concurrent use.
type Server struct {
	h   http.Handler
	log *zap.Logger

	mu   sync.Mutex
	addr string       // set by Start
	srv  *http.Server // set by Start
	done sync.WaitGroup
}

var _ troupe.Component = (*Server)(nil)

// NewServer returns a server for h, not yet started; log takes the
// server's own errors (nil: none).
func NewServer(h http.Handler, log *zap.Logger) *Server {
	if log == nil {
		log = zap.NewNop()
	}
	return &Server{h: h, log: log}
}

// Start listens on 127.0.0.1 on a free port and serves. It implements
// troupe.Component; the actor system is not used.
func (s *Server) Start(*actors.System) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("flakyupstream: already started (declared twice, or in two apps?)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("flakyupstream: %w", err)
	}
	s.addr = ln.Addr().String()
	s.srv = &http.Server{
		Handler:           s.h,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          stdLog(s.log),
	}
	srv := s.srv
	s.done.Go(func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("demo upstream failed", zap.Error(err))
		}
	})
	s.log.Info("demo upstream listening", zap.String("addr", s.addr))
	return nil
}

// Stop shuts the server down gracefully within ctx. Safe to call twice.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	s.done.Wait()
	return err
}

// Addr returns the address the server listens on, or "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// DialContext dials the server, whatever address it is asked for: the
// dialler of an upstream whose target is this server.
func (s *Server) DialContext(ctx context.Context, network, _ string) (net.Conn, error) {
	addr := s.Addr()
	if addr == "" {
		return nil, errors.New("flakyupstream: the demo upstream is not running: declare a demo_upstream stage")
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// stdLog returns a standard logger writing to log at Warn: net/http's own
// errors (a broken connection) are worth a look, not an alarm.
func stdLog(z *zap.Logger) *log.Logger {
	l, err := zap.NewStdLogAt(z, zap.WarnLevel)
	if err != nil { // only for an invalid level
		return zap.NewStdLog(z)
	}
	return l
}
