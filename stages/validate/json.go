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

// checkDepth walks body's tokens without building anything and fails with
// 400 as soon as arrays and objects nest deeper than max, or if body is not
// exactly one JSON value.
func checkDepth(body []byte, max int) error {
	// One pass over the bytes, counting brackets outside strings: no
	// allocation, and the body is never decoded if it nests too deep. (A
	// json.Decoder.Token walk allocated on every token and cost a fifth of
	// the stage's time.) Syntax is then checked by json.Valid, which also
	// allocates nothing.
	depth, inString, escaped := 0, false, false
	for _, c := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > max {
				return actors.Errorf(http.StatusBadRequest, "the JSON body nests deeper than %d levels", max)
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	if !json.Valid(body) {
		return syntaxError(body)
	}
	return nil
}

// decode decodes body, which checkDepth has passed, into generic values
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
