package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// NetHTTP is the baseline peer: stages plain net/http middleware, each a
// func(http.Handler) http.Handler doing one kind of Work, around a handler
// that answers a small JSON Reply. It serves on its own http.Server,
// configured with troupe's default timeouts and limits. Its methods are
// safe for concurrent use; Start and Shutdown are each called once.
type NetHTTP struct {
	hits    atomic.Int64
	handler http.Handler

	plainServer
}

// NewNetHTTP returns the peer with the given number of middleware.
func NewNetHTTP(stages int) *NetHTTP {
	p := &NetHTTP{}
	var h http.Handler = http.HandlerFunc(plainHandler)
	for i := stages - 1; i >= 0; i-- {
		h = p.middleware(Kinds[i%len(Kinds)])(h)
	}
	p.handler = h
	return p
}

// Handler returns the middleware chain and handler, without a server.
func (p *NetHTTP) Handler() http.Handler { return p.handler }

// Hits returns how many times a Count middleware has run.
func (p *NetHTTP) Hits() int64 { return p.hits.Load() }

// Start serves on addr ("" means 127.0.0.1 on a free port) until Shutdown.
func (p *NetHTTP) Start(addr string) error { return p.serve(addr, p.handler) }

type tenantKey struct{}

func (p *NetHTTP) middleware(w Work) func(http.Handler) http.Handler {
	switch w {
	case SetHeader:
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Bench", "1")
				next.ServeHTTP(w, r)
			})
		}
	case ReadHeader:
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Tenant") == "blocked" {
					http.Error(w, "tenant blocked", http.StatusForbidden)
					return
				}
				next.ServeHTTP(w, r)
			})
		}
	case Count:
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p.hits.Add(1)
				next.ServeHTTP(w, r)
			})
		}
	case CheckMethod:
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet && r.Method != http.MethodHead {
					http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
					return
				}
				next.ServeHTTP(w, r)
			})
		}
	case ContextValue:
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tenantKey{}, Tenant)))
			})
		}
	}
	panic(fmt.Sprintf("bench: unknown work %d", int(w)))
}

// plainHandler answers the JSON Reply, with the tenant a ContextValue
// middleware stored.
func plainHandler(w http.ResponseWriter, r *http.Request) {
	tenant, _ := r.Context().Value(tenantKey{}).(string)
	b, err := json.Marshal(Reply{Message: "hello", Tenant: tenant})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// plainServer is the serving half of a plain peer: an http.Server on a
// loopback listener, and the goroutine that serves it. Peers embed it for
// Addr and Shutdown.
type plainServer struct {
	srv     *http.Server
	ln      net.Listener
	serving sync.WaitGroup
}

// serve starts serving h on addr ("" means 127.0.0.1 on a free port).
func (s *plainServer) serve(addr string, h http.Handler) error {
	ln, err := listen(addr)
	if err != nil {
		return fmt.Errorf("nethttp: %w", err)
	}
	s.ln, s.srv = ln, newPlainServer(h)
	s.serving.Go(func() { _ = s.srv.Serve(ln) }) // returns ErrServerClosed after Shutdown
	return nil
}

// Addr returns the address the peer serves on, once started.
func (s *plainServer) Addr() net.Addr { return s.ln.Addr() }

// Shutdown stops the server gracefully and waits for its goroutine.
func (s *plainServer) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.srv.Close())
	}
	s.serving.Wait()
	return err
}
