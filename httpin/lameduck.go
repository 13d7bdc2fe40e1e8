package httpin

import (
	"net/http"
	"sync/atomic"
)

// lameDuckGuard answers every request with Connection: close while on is
// set — the lame-duck window at the start of a graceful shutdown
// (Config.DrainDelay) — so that each keep-alive client leaves after its
// response, knowing it, instead of having an idle connection closed under
// a request it is sending.
type lameDuckGuard struct {
	next http.Handler
	on   *atomic.Bool
}

// ServeHTTP implements http.Handler.
func (g lameDuckGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.on.Load() {
		w.Header().Set("Connection", "close")
	}
	g.next.ServeHTTP(w, r)
}
