package maintenance

import (
	"fmt"
	"net/http"
	"time"

	"github.com/troupe-go/troupe/internal/adminjson"
)

// modeJSON is a Mode on the admin listener: RetryAfter as a Go duration
// string ("30s").
type modeJSON struct {
	Enabled    *bool   `json:"enabled"`
	RetryAfter *string `json:"retry_after,omitempty"`
	Message    *string `json:"message,omitempty"`
}

// AdminRoutes returns the routes for the admin listener (see
// config.AdminRouter): "GET /maintenance/NAME" answers the current mode,
// and "PUT /maintenance/NAME" sets it from a JSON body:
//
//	{"enabled": true, "retry_after": "30s", "message": "upgrading the database"}
//
// enabled is required; retry_after and message, when left out, take the
// stage's configured values. Both answer 200 with the mode as JSON; a bad
// body gets 400.
func (s *Stage) AdminRoutes() map[string]http.Handler {
	path := "/maintenance/" + s.name
	return map[string]http.Handler{
		"GET " + path: http.HandlerFunc(s.getMode),
		"PUT " + path: http.HandlerFunc(s.putMode),
	}
}

func (s *Stage) getMode(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.sw.Mode())
}

func (s *Stage) putMode(w http.ResponseWriter, r *http.Request) {
	var in modeJSON
	if err := adminjson.Decode(w, r, &in, "enabled, retry_after and message"); err != nil {
		adminjson.Error(w, err.Error())
		return
	}
	if in.Enabled == nil {
		adminjson.Error(w, `"enabled" is required`)
		return
	}
	m := s.defaults
	m.Enabled = *in.Enabled
	if in.RetryAfter != nil {
		d, err := time.ParseDuration(*in.RetryAfter)
		if err != nil || d < 0 {
			adminjson.Error(w, fmt.Sprintf(`"retry_after" must be a duration such as "30s", got %q`, *in.RetryAfter))
			return
		}
		m.RetryAfter = d
	}
	if in.Message != nil {
		m.Message = *in.Message
	}
	s.sw.Set(m)
	writeJSON(w, http.StatusOK, m)
}

// writeJSON answers with mode m as JSON.
func writeJSON(w http.ResponseWriter, status int, m Mode) {
	ra := m.RetryAfter.String()
	adminjson.Write(w, status, modeJSON{Enabled: &m.Enabled, RetryAfter: &ra, Message: &m.Message})
}
