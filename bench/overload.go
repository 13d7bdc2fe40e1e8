package bench

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// The overload scenario's workload: a handler that takes
// OverloadServiceTime (simulated by sleeping) and runs at most
// OverloadSlots at once, behind GET OverloadPath and, for the priorities
// run, GET OverloadCriticalPath, which share the slots. Its capacity is
// OverloadSlots / OverloadServiceTime: 800 req/s.
const (
	OverloadPath         = "/work"
	OverloadCriticalPath = "/critical"
	OverloadServiceTime  = 20 * time.Millisecond
	OverloadSlots        = 16
)

// OverloadBody is the body of the workload's 200.
const OverloadBody = "done\n"

// ServiceTime is the workload's current service time, which the slow-down
// run changes while a peer serves. It is safe for concurrent use.
type ServiceTime struct{ d atomic.Int64 }

// NewServiceTime returns a service time of d.
func NewServiceTime(d time.Duration) *ServiceTime {
	s := &ServiceTime{}
	s.Set(d)
	return s
}

// Set changes the service time to d for the requests that start after.
func (s *ServiceTime) Set(d time.Duration) { s.d.Store(int64(d)) }

// Get returns the service time.
func (s *ServiceTime) Get() time.Duration { return time.Duration(s.d.Load()) }

// work is the simulated work of one request.
func (s *ServiceTime) work() { time.Sleep(s.Get()) }

// OverloadPeer is a peer of the overload scenario: a server of the
// workload on loopback. Start and Shutdown are each called once.
type OverloadPeer interface {
	// Start serves on addr until Shutdown.
	Start(addr string) error
	// Addr returns the address it serves on, once started.
	Addr() net.Addr
	// AdminAddr returns the address of its admin listener (/metrics), or
	// nil if it has none.
	AdminAddr() net.Addr
	// Shutdown stops it gracefully.
	Shutdown(ctx context.Context) error
}

// OverloadNetHTTP is the overload scenario's plain peer: net/http with a
// semaphore of OverloadSlots (a buffered channel) around the workload.
// A request waits for a slot for as long as its client stays; nothing
// bounds the queue.
type OverloadNetHTTP struct {
	plainServer
	handler http.Handler
}

// NewOverloadNetHTTP returns the plain peer of the workload st.
func NewOverloadNetHTTP(st *ServiceTime) *OverloadNetHTTP {
	sem := make(chan struct{}, OverloadSlots)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
		case <-r.Context().Done(): // the client went while it waited
			return
		}
		defer func() { <-sem }()
		st.work()
		writeOverloadBody(w)
	})
	mux := http.NewServeMux()
	mux.Handle("GET "+OverloadPath, h)
	mux.Handle("GET "+OverloadCriticalPath, h)
	return &OverloadNetHTTP{handler: mux}
}

// Start serves on addr ("" means 127.0.0.1 on a free port) until
// Shutdown.
func (p *OverloadNetHTTP) Start(addr string) error { return p.serve(addr, p.handler) }

// AdminAddr returns nil: the plain peer has no admin listener.
func (p *OverloadNetHTTP) AdminAddr() net.Addr { return nil }

func writeOverloadBody(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(OverloadBody))
}
