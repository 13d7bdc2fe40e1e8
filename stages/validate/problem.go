package validate

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/troupe-go/troupe/actors"
)

// FieldError is one way a request body fails its schema: where (a JSON
// Pointer, RFC 6901, into the body; "" is the whole body) and what.
type FieldError struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

// problem is actors.Problem with the "errors" extension member RFC 9457
// §3.2 allows. It keeps actors.Problem's members and their order, so that
// a client reads every troupe error body the same way.
type problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors"`
}

// problemBody renders the problem document for status with errs.
func problemBody(ex *actors.Exchange, status int, detail string, errs []FieldError) []byte {
	if errs == nil {
		errs = []FieldError{}
	}
	b, err := json.Marshal(problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  ex.Request.URL.Path,
		RequestID: ex.RequestID,
		Errors:    errs,
	})
	if err != nil { // unreachable: strings and an int
		return actors.ProblemBody(status, detail, ex.Request.URL.Path, ex.RequestID)
	}
	return b
}

// reject answers ex for a body the scanner refused, with 400: a plain
// problem for a syntax error (saying where, as encoding/json finds it) or
// a body too deep; for the others, a problem whose detail gives the byte
// offset and whose "errors" member the JSON Pointer of the value.
func (v *validator) reject(ex *actors.Exchange, f fault) error {
	var detail, what string
	switch f.kind {
	case faultSyntax:
		return syntaxError(ex.Body)
	case faultDepth:
		return actors.Errorf(http.StatusBadRequest, "the JSON body nests deeper than %d levels", v.maxDepth)
	case faultDuplicate:
		detail, what = "the JSON body has a key twice in one object", "duplicate key"
	case faultUTF8:
		detail, what = "the JSON body holds a string that is not valid UTF-8", "invalid UTF-8"
	case faultUTF8Key:
		detail, what = "the JSON body holds an object key that is not valid UTF-8", "invalid UTF-8 in a key"
	case faultSurrogate:
		detail, what = `the JSON body holds a \u escape of half a UTF-16 surrogate pair`, "unpaired surrogate escape"
	}
	detail += " (at byte " + strconv.Itoa(f.offset) + ")"
	ex.Respond(http.StatusBadRequest, actors.ProblemContentType,
		problemBody(ex, http.StatusBadRequest, detail, []FieldError{{Pointer: f.pointer, Detail: what}}))
	return nil
}
