package bench

import (
	"net"
	"net/http"

	"github.com/troupe-go/troupe/httpin"
)

// Path is the route both peers serve.
const Path = "/hello"

// Work is one kind of trivial middleware work. A pipeline of n stages runs
// the kinds in order, Kinds[i%len(Kinds)] for stage i.
type Work int

// The kinds of middleware work, in pipeline order.
const (
	// SetHeader sets the response header X-Bench.
	SetHeader Work = iota
	// ReadHeader reads the request header X-Tenant and refuses the request
	// (403) when it says "blocked"; the load generator never sends it.
	ReadHeader
	// Count increments the peer's atomic hit counter.
	Count
	// CheckMethod refuses anything but GET and HEAD (405).
	CheckMethod
	// ContextValue stores a per-request value, the tenant, that the
	// handler reads back: a context value for net/http, an actors.Key for
	// troupe.
	ContextValue
)

// Kinds lists every kind of work, in pipeline order.
var Kinds = []Work{SetHeader, ReadHeader, Count, CheckMethod, ContextValue}

var workNames = [...]string{"set-header", "read-header", "count", "check-method", "context-value"}

// String returns the kind's name, which is also its stage name.
func (w Work) String() string { return workNames[w] }

// Tenant is the value the ContextValue stage stores for the handler.
const Tenant = "acme"

// Reply is the handler's JSON body: {"message":"hello","tenant":"acme"}.
type Reply struct {
	Message string `json:"message"`
	Tenant  string `json:"tenant"`
}

// serverConfig is the listener configuration both peers use: troupe's
// defaults, so that the plain server pays for the same timeouts (each one
// sets a deadline on the connection per request).
func serverConfig(addr string) httpin.Config {
	return httpin.Config{Addr: addr}.WithDefaults()
}

// newPlainServer returns an http.Server for h configured like troupe's.
func newPlainServer(h http.Handler) *http.Server {
	c := serverConfig("")
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    c.MaxHeaderBytes,
	}
}

// listen listens on addr, on loopback unless addr says otherwise.
func listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	return net.Listen("tcp", addr)
}
