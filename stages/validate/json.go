package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/troupe-go/troupe/actors"
)

// isJSON reports whether a Content-Type value names JSON: application/json
// or application/…+json, whatever its parameters.
func isJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

// decode decodes body, which check has passed, into generic values
// with json.Number for numbers (as jsonschema wants them).
func decode(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, syntaxError(body)
	}
	return doc, nil
}

// syntaxError is the 400 for a body that is not one JSON value, saying
// what is wrong and where. The decoder's tokens do not say where in the
// body they failed, so body is scanned again for the error: the cost falls
// on bad requests only.
func syntaxError(body []byte) error {
	detail := "the request body is not valid JSON"
	var raw json.RawMessage
	err := json.Unmarshal(body, &raw)
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		detail += ": " + se.Error() + " at byte " + strconv.FormatInt(se.Offset, 10)
	}
	return &actors.Error{Status: http.StatusBadRequest, Detail: detail, Err: err}
}
