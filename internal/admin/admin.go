// Package admin serves a troupe server's admin listener: /healthz, /readyz,
// /metrics (Prometheus text format) and /debug/pprof; the app adds the live
// page and its JSON API (package internal/live) beside them. It listens on
// loopback by default: none of it is for the public.
package admin

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Readiness tells whether the server should get traffic, and if not, why
// (reasons); degraded lists what is wrong without making it unready (a
// stage that is down, not critical: its own routes answer 503).
type Readiness func() (ready bool, reasons, degraded []string)

// Handler returns the admin mux. Extra routes may be added to it.
func Handler(reg *prometheus.Registry, ready Readiness) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ok, reasons, degraded := ready()
		body := map[string]any{"ready": ok}
		if len(degraded) > 0 {
			body["degraded"] = degraded
		}
		if ok {
			writeJSON(w, http.StatusOK, body)
			return
		}
		body["reasons"] = reasons
		writeJSON(w, http.StatusServiceUnavailable, body)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a failed write means the client is gone
}
