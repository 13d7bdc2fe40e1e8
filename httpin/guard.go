package httpin

import (
	"net/http"
	"time"
)

// connGuard is the http.Handler Server puts in front of the handler it
// serves: it keeps request bodies and responses to their minimum rates
// (Config.MinBodyRate, Config.MinWriteRate), through a rateBody and a
// guardWriter around each request.
type connGuard struct {
	next                http.Handler
	bodyRate, writeRate minRate
	readTimeout         time.Duration
	writeTimeout        time.Duration
	now                 func() time.Time
}

// newConnGuard returns the guard of cfg, whose defaults are set, in front of
// next.
func newConnGuard(cfg Config, next http.Handler) *connGuard {
	return &connGuard{
		next:         next,
		bodyRate:     minRate{perSecond: cfg.MinBodyRate, grace: cfg.BodyRateGrace},
		writeRate:    minRate{perSecond: cfg.MinWriteRate, grace: cfg.WriteRateGrace},
		readTimeout:  cfg.ReadTimeout,
		writeTimeout: cfg.WriteTimeout,
		now:          time.Now,
	}
}

// ServeHTTP implements http.Handler.
func (g *connGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := g.now()
	rc := http.NewResponseController(w)
	gw := &guardWriter{ResponseWriter: w, rc: rc, now: g.now, rate: g.writeRate, limit: after(now, g.writeTimeout)}
	var body *rateBody
	if r.Body != nil && r.Body != http.NoBody {
		body = &rateBody{
			body: r.Body, setDeadline: gw.setReadDeadline, now: g.now, rate: g.bodyRate,
			limit: after(now, g.readTimeout), cut: func() { gw.closeConn.Store(true) },
		}
		// A copy, not r itself: net/http goes on with r.Body, its own
		// reader, after the handler, to discard what is left of the body.
		r2 := *r
		r2.Body = body
		r = &r2
	}
	g.next.ServeHTTP(gw, r)
	if body != nil {
		body.handlerDone()
	}
	// What is still buffered goes out as ServeHTTP returns; give it the
	// grace of the rate, counted from now.
	gw.arm(0)
}

// after returns now+d, or the zero time (no limit) when d is zero.
func after(now time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return now.Add(d)
}
