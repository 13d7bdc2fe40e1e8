package flakyupstream

import (
	"fmt"
	"net/http"
	"time"

	"github.com/troupe-go/troupe/internal/adminjson"
)

// settingsJSON is Settings on the admin listener: Latency as a Go duration
// string ("250ms"). Every field is optional in a PUT.
type settingsJSON struct {
	ErrorRate *float64 `json:"error_rate"`
	Latency   *string  `json:"latency"`
	Status    *int     `json:"status"`
}

// AdminRoutes returns the routes of the admin listener (see
// config.AdminRouter): "GET /demo/upstream" answers the settings, and
// "PUT /demo/upstream" changes those its JSON body gives:
//
//	{"error_rate": 1.0, "latency": "250ms", "status": 503}
//
// Both answer 200 with the settings as JSON; a bad body gets 400.
func (h *Handler) AdminRoutes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /demo/upstream": http.HandlerFunc(h.getSettings),
		"PUT /demo/upstream": http.HandlerFunc(h.putSettings),
	}
}

func (h *Handler) getSettings(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, h.Settings())
}

func (h *Handler) putSettings(w http.ResponseWriter, r *http.Request) {
	var in settingsJSON
	if err := adminjson.Decode(w, r, &in, "error_rate, latency and status"); err != nil {
		adminjson.Error(w, err.Error())
		return
	}
	s := h.Settings()
	if in.ErrorRate != nil {
		s.ErrorRate = *in.ErrorRate
	}
	if in.Latency != nil {
		d, err := time.ParseDuration(*in.Latency)
		if err != nil {
			adminjson.Error(w, fmt.Sprintf(`"latency" must be a duration such as "250ms", got %q`, *in.Latency))
			return
		}
		s.Latency = d
	}
	if in.Status != nil {
		s.Status = *in.Status
	}
	if err := h.Set(s); err != nil {
		adminjson.Error(w, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, h.Settings())
}

// writeJSON answers with s as JSON.
func writeJSON(w http.ResponseWriter, status int, s Settings) {
	lat := s.Latency.String()
	adminjson.Write(w, status, settingsJSON{ErrorRate: &s.ErrorRate, Latency: &lat, Status: &s.Status})
}
