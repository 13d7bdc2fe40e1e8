// Package adminjson holds what the admin listener's JSON controls share
// (maintenance mode, the demo upstream): a strict, bounded request body,
// and JSON answers.
package adminjson

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// MaxBody bounds the body of a control's PUT.
const MaxBody = 64 << 10

// Decode decodes r's body into v: at most MaxBody bytes, unknown fields
// refused. want names the expected fields, for the error.
func Decode(w http.ResponseWriter, r *http.Request, v any, want string) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the body must be a JSON object with %s: %w", want, err)
	}
	return nil
}

// Write answers with v as JSON.
func Write(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"the answer could not be encoded"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n')) // a failed write means the client is gone
}

// Error answers 400 with {"error": msg}.
func Error(w http.ResponseWriter, msg string) {
	Write(w, http.StatusBadRequest, map[string]string{"error": msg})
}
