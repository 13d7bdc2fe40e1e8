package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// Reload reloads the server's configuration: it returns what changed, to
// answer with, or why the new configuration was refused, the running one
// kept. An error with a method HTTPStatus() int picks the status of the
// refusal; otherwise it is 422.
type Reload func(ctx context.Context) (summary any, err error)

// ReloadHandler returns the handler of POST /reload: 200 with the reload's
// summary as JSON, or a problem+json (RFC 9457) with the refusal's status
// and each of its errors ("FILE:LINE: reason") in errors.
func ReloadHandler(reload Reload) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		summary, err := reload(r.Context())
		if err == nil {
			writeJSON(w, http.StatusOK, summary)
			return
		}
		status := http.StatusUnprocessableEntity
		if s, ok := errors.AsType[statusError](err); ok {
			status = s.HTTPStatus()
		}
		var list []string
		for _, e := range flatten(err) {
			list = append(list, strings.Split(e.Error(), "\n")...)
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{ // a failed write means the client is gone
			"type":   "about:blank",
			"title":  http.StatusText(status),
			"status": status,
			"detail": "the configuration was not reloaded; the running one is unchanged",
			"errors": list,
		})
	})
}

// statusError is an error that says its HTTP status.
type statusError interface {
	error
	HTTPStatus() int
}

// flatten returns the errors joined in err (errors.Join), or err alone.
func flatten(err error) []error {
	for {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			return j.Unwrap()
		}
		next := errors.Unwrap(err)
		if next == nil {
			return []error{err}
		}
		if _, ok := next.(interface{ Unwrap() []error }); !ok {
			return []error{err}
		}
		err = next
	}
}
